"""Connectors: one per accounting platform, behind one typed interface (see base.py)."""
