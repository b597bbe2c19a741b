"""Which accounts and tax rates a transaction type may use. Pure functions; the same rules
drive the mapping options a client shows its users and the checks made before a push.

Codat does not document how it derives `validTransactionTypes`; these are spendsync's rules:

- A bank or credit card account is never an expense line; it serves transfers and adjustments.
- Expense accounts take Payment, Refund, Chargeback and Reward (cashback as contra-expense),
  reimbursable expenses and adjustments.
- Asset, Liability and Equity accounts that are not bank accounts (prepayments, fixed assets,
  drawings) take Payment, Refund and Chargeback, reimbursable expenses and adjustments.
- Income accounts take Reward (cashback as income) and adjustments.
- An archived account takes nothing, and is left out of the options.

A tax rate for purchases is valid for Payment, Refund and Chargeback; Reward takes a rate
for purchases (booked as contra-expense) or one for sales (booked as income).
"""

from __future__ import annotations

from spendsync.connectors.reference import (
    AccountType,
    LedgerAccount,
    LedgerTaxRate,
    RecordStatus,
)

PAYMENT, REFUND, REWARD, CHARGEBACK = "Payment", "Refund", "Reward", "Chargeback"
EXPENSE_TYPES = (PAYMENT, REFUND, REWARD, CHARGEBACK)
REIMBURSABLE = "reimbursable-expense-transactions"
TRANSFER = "transfer-transactions"
ADJUSTMENT = "adjustment-transactions"


def valid_transaction_types(account: LedgerAccount) -> list[str]:
    if account.status is not RecordStatus.ACTIVE or account.is_bank_account:
        return []
    if account.account_type is AccountType.EXPENSE:
        return [PAYMENT, REFUND, REWARD, CHARGEBACK]
    if account.account_type is AccountType.INCOME:
        return [REWARD]
    return [PAYMENT, REFUND, CHARGEBACK]


def valid_for(account: LedgerAccount) -> list[str]:
    if account.status is not RecordStatus.ACTIVE:
        return []
    if account.is_bank_account:
        return [TRANSFER, ADJUSTMENT]
    uses = [f"expense-transactions.{kind}" for kind in valid_transaction_types(account)]
    if account.account_type is not AccountType.INCOME:
        uses.append(REIMBURSABLE)
    uses.append(ADJUSTMENT)
    return uses


def tax_rate_transaction_types(rate: LedgerTaxRate) -> list[str]:
    if rate.status is not RecordStatus.ACTIVE:
        return []
    types = [PAYMENT, REFUND, CHARGEBACK] if rate.for_purchases else []
    if rate.for_purchases or rate.for_sales:
        types.append(REWARD)
    return [t for t in EXPENSE_TYPES if t in types]
