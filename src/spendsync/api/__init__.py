"""HTTP plumbing shared by every domain router: context, errors, auth, paging."""
