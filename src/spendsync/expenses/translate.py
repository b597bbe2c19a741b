"""From what a client sent (stored as JSON with the sync) to what a connector writes.

`problems_of` lists every rule a transaction breaks before anything is queued, with Codat's
itemIds relative to the item (the caller prefixes `Items[3].`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from spendsync.expenses.schemas import (
    AdjustmentTransactionRequest,
    ExpenseTransaction,
    ExpenseTransactionLine,
    ReimbursableExpenseTransaction,
    TransferTransactionRequest,
)
from spendsync.syncs.models import TransactionKind

MAX_AMOUNT = Decimal(5_000_000)
MAX_LINES = 100
MAX_TRACKING_REFS = 10


@dataclass(frozen=True)
class Problem:
    item_id: str
    message: str


_EXPENSE_KINDS = {
    TransactionKind.PAYMENT,
    TransactionKind.REFUND,
    TransactionKind.REWARD,
    TransactionKind.CHARGEBACK,
}


def parse_payload(kind: TransactionKind, payload: dict[str, Any]) -> BaseModel:
    """The stored JSON back into its API model (it was validated when accepted)."""
    if kind in _EXPENSE_KINDS:
        return ExpenseTransaction.model_validate(payload)
    if kind is TransactionKind.TRANSFER:
        return TransferTransactionRequest.model_validate(payload)
    if kind is TransactionKind.REIMBURSABLE:
        return ReimbursableExpenseTransaction.model_validate(payload)
    return AdjustmentTransactionRequest.model_validate(payload)


def _amount(value: Decimal | None, where: str, name: str) -> list[Problem]:
    if value is not None and not Decimal(0) <= value <= MAX_AMOUNT:
        return [Problem(f"{where}{name}", f"The field {name} must be between 0 and 5000000.")]
    return []


def _lines(lines: Sequence[ExpenseTransactionLine] | None) -> list[Problem]:
    if not lines:
        return [Problem("Lines", "At least one line is required.")]
    problems: list[Problem] = []
    if len(lines) > MAX_LINES:
        problems.append(Problem("Lines", f"At most {MAX_LINES} lines are allowed."))
    for index, line in enumerate(lines):
        where = f"Lines[{index}]."
        problems += _amount(line.net_amount, where, "NetAmount")
        problems += _amount(line.tax_amount, where, "TaxAmount")
        if line.tracking_refs is not None and len(line.tracking_refs) > MAX_TRACKING_REFS:
            problems.append(
                Problem(f"{where}TrackingRefs", f"At most {MAX_TRACKING_REFS} tracking refs.")
            )
        if line.tax_amount and line.tax_rate_ref is None:
            problems.append(Problem(f"{where}TaxRateRef", "A tax amount needs a tax rate."))
    return problems


def problems_of(
    kind: TransactionKind, transaction_id: str, payload: dict[str, Any]
) -> list[Problem]:
    model = parse_payload(kind, payload)
    if isinstance(model, ExpenseTransaction):
        return _lines(model.lines)
    if isinstance(model, ReimbursableExpenseTransaction):
        problems = _lines(model.lines)
        if model.due_date < model.issue_date:
            problems.append(Problem("DueDate", "The due date is before the issue date."))
        return problems
    if isinstance(model, TransferTransactionRequest):
        problems = _amount(model.from_.amount, "From.", "Amount") + _amount(
            model.to.amount, "To.", "Amount"
        )
        for side, value in (("From", model.from_), ("To", model.to)):
            if value.amount == 0:
                problems.append(Problem(f"{side}.Amount", "A transfer amount must be above 0."))
        if model.from_.account_ref.id == model.to.account_ref.id:
            problems.append(Problem("To.AccountRef", "A transfer needs two different accounts."))
        return problems
    assert isinstance(model, AdjustmentTransactionRequest)
    problems = []
    if not model.lines:
        problems.append(Problem("Lines", "At least one line is required."))
    for index, line in enumerate(model.lines):
        if abs(line.amount) > MAX_AMOUNT:
            problems.append(
                Problem(
                    f"Lines[{index}].Amount",
                    "The field Amount must be between -5000000 and 5000000.",
                )
            )
    if model.lines and sum((line.amount for line in model.lines), Decimal(0)) != 0:
        problems.append(
            Problem("Lines", "Adjustment lines must add up to zero (debits = credits).")
        )
    return problems


def to_document(kind: TransactionKind, transaction_id: str, payload: dict[str, Any]) -> object:
    return parse_payload(kind, payload)
