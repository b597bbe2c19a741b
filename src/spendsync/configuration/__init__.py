"""A company's expense configuration: default bank account, supplier and customer."""
