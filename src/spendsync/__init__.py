"""spendsync: a self-hostable, Codat-compatible engine that syncs card spend into ledgers."""

__version__ = "0.1.0"
