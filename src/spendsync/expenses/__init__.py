"""Expense transactions (payments, refunds, rewards, chargebacks), transfers, reimbursable
expenses and adjustments: accepted through Codat's API, validated, and synced to the ledger."""
