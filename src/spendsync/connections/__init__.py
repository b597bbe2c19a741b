"""Data connections of a company: its accounting platform and the partner expense source."""
