"""The transactions a client asks spendsync to record, as plain immutable values.

These mirror Codat's request bodies (ExpenseTransaction, TransferTransactionRequest,
ReimbursableExpenseTransactionRequest, AdjustmentTransactionRequest) after JSON parsing:
references are reduced to their ids, amounts are exact Decimals, dates are dates. They are
deliberately permissive - any value can be constructed - so that `spendsync.ledger.validation`
can report every problem with an input instead of the first constructor that refused it.
Transactions take keyword arguments only; lines and references also take positional ones.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from spendsync.ledger.money import Money

__all__ = [
    "Adjustment",
    "AdjustmentLine",
    "ContactType",
    "Expense",
    "ExpenseKind",
    "ExpenseLine",
    "InvoiceTo",
    "Reimbursable",
    "TrackingDataType",
    "TrackingRef",
    "Transfer",
]

ContactType = Literal["Supplier", "Customer"]
"""Who an expense is with. Codat's schema only has "Supplier" (its default); "Customer" lets a
caller say explicitly that a refund/reward/chargeback comes from a customer record."""


class ExpenseKind(enum.StrEnum):
    """Codat's `ExpenseTransaction.type`. The kind, never the sign, says which way money moves."""

    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"


class TrackingDataType(enum.StrEnum):
    """What a tracking reference points at (Codat's `trackingRefs[].dataType`)."""

    TRACKING_CATEGORIES = "trackingCategories"
    CUSTOMERS = "customers"
    SUPPLIERS = "suppliers"  # adjustment lines only


@dataclass(frozen=True)
class TrackingRef:
    """A tracking category option (department, class, location...) or a customer/supplier."""

    id: str
    data_type: TrackingDataType = TrackingDataType.TRACKING_CATEGORIES


@dataclass(frozen=True)
class InvoiceTo:
    """The customer a line is re-billed to (a billable expense)."""

    id: str


@dataclass(frozen=True)
class ExpenseLine:
    """One line of an expense or reimbursable expense.

    `net` excludes tax; `tax` is the tax on it (0 when none). Both are non-negative: the
    transaction's kind gives the direction. A line names an account or (QuickBooks Desktop) an
    item, not both. `description` is set for reimbursable lines (Codat has none on expense lines).
    """

    net: Decimal
    tax: Decimal = Decimal(0)
    account_id: str | None = None
    tax_rate_id: str | None = None
    tracking: tuple[TrackingRef, ...] = ()
    invoice_to: InvoiceTo | None = None
    item_id: str | None = None
    description: str | None = None

    @property
    def total(self) -> Decimal:
        """net + tax."""
        return self.net + self.tax


def _sum_lines(lines: tuple[ExpenseLine, ...]) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))


@dataclass(frozen=True, kw_only=True)
class Expense:
    """A card transaction: Codat's ExpenseTransaction (Payment, Refund, Reward or Chargeback).

    `currency_rate` converts `currency` into the company's base currency
    (base = amount x rate); it is required when the two differ and must be absent or 1 when they
    are the same. `bank_account_id` and `contact_id` may be None: the company's configuration
    then supplies the bank account and the supplier/customer.
    """

    id: str
    kind: ExpenseKind
    issue_date: dt.date
    currency: str
    lines: tuple[ExpenseLine, ...]
    currency_rate: Decimal | None = None
    bank_account_id: str | None = None
    contact_id: str | None = None
    contact_type: ContactType | None = None
    merchant_name: str | None = None
    reference: str | None = None
    notes: str | None = None
    post_as_draft: bool = False

    @property
    def total(self) -> Decimal:
        """The transaction total: the sum of net + tax over the lines."""
        return _sum_lines(self.lines)

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal(0))


@dataclass(frozen=True, kw_only=True)
class Transfer:
    """Money moved between two accounts: Codat's TransferTransactionRequest.

    Each side is in the native currency of its account (the request only carries the numbers;
    the caller attaches each account's currency). When the currencies differ, the implied rate
    is to_amount / from_amount, and one side must be in the company's base currency. Codat's
    transfer has no contact, reference or currency rate.
    """

    id: str
    date: dt.date
    from_account_id: str
    from_amount: Money
    to_account_id: str
    to_amount: Money
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Reimbursable:
    """Out-of-pocket spend owed back to an employee: Codat's reimbursable expense transaction,
    written as a bill against the employee (who exists in the ledger as a supplier).

    `ap_account_id` is the accounts-payable account to owe it on (Codat's `apAccountRef`); when
    None the ledger's default accounts-payable account is meant.
    """

    id: str
    contact_id: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    lines: tuple[ExpenseLine, ...]
    currency_rate: Decimal | None = None
    ap_account_id: str | None = None
    reference: str | None = None
    notes: str | None = None

    @property
    def total(self) -> Decimal:
        """The bill total: the sum of net + tax over the lines."""
        return _sum_lines(self.lines)


@dataclass(frozen=True)
class AdjustmentLine:
    """One journal line: a positive amount is a debit, a negative one a credit."""

    amount: Decimal
    account_id: str
    description: str | None = None
    tracking: tuple[TrackingRef, ...] = ()
    invoice_to: InvoiceTo | None = None


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    """A journal entry (write-off, FX adjustment...): Codat's AdjustmentTransactionRequest.
    Its lines must add up to zero in `currency`."""

    id: str
    date: dt.date
    currency: str
    lines: tuple[AdjustmentLine, ...]
    currency_rate: Decimal | None = None
    reference: str | None = None


def referenced_accounts(document: Expense | Transfer | Reimbursable | Adjustment) -> set[str]:
    """Every account id a document names (lines, bank/card, transfer sides, payables)."""
    if isinstance(document, Transfer):
        return {document.from_account_id, document.to_account_id}
    found = {line.account_id for line in document.lines if line.account_id}
    if isinstance(document, Expense) and document.bank_account_id:
        found.add(document.bank_account_id)
    if isinstance(document, Reimbursable) and document.ap_account_id:
        found.add(document.ap_account_id)
    return found


def referenced_tracking_options(
    document: Expense | Transfer | Reimbursable | Adjustment,
) -> set[str]:
    """Every tracking category option id a document's lines name."""
    if isinstance(document, Transfer):
        return set()
    return {
        ref.id
        for line in document.lines
        for ref in line.tracking
        if ref.data_type is TrackingDataType.TRACKING_CATEGORIES
    }
