"""Companies: the SMB customers of a client, each with its connections."""
