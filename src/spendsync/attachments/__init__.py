"""Receipts and other files attached to a synced transaction: checked, stored durably, and
uploaded to the platform record the transaction became."""
