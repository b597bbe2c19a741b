"""Syncs: each create/update call becomes one sync that pushes its transactions to the ledger."""
