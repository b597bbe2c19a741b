"""Webhooks: Codat's `expenses.sync.successful` / `expenses.sync.unsuccessful` events, signed per
the Standard Webhooks scheme, delivered with retries, with a delivery log."""
