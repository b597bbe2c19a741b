"""Mapping options: the ledger's accounts, tax rates and tracking categories, with the
transaction types each may be used for (Codat's `validTransactionTypes` / `validFor`)."""
