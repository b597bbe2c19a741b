"""`spendsync demo`: a month of a small business's card activity, pushed through the
Codat-compatible API into a local Beancount ledger (or a platform sandbox)."""
