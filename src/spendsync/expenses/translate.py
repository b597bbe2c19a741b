"""From what a client sent (stored as JSON with the sync) to the ledger domain.

`problems_of` lists every rule a transaction breaks before anything is queued, with Codat's
itemIds relative to the item (the caller prefixes `Items[3].`); the rules themselves live in
the pure posting domain (`spendsync.ledger.validation`), shared by every connector.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from spendsync.ledger import model as ledger
from spendsync.ledger.money import Money
from spendsync.ledger.validation import (
    Problem,
    validate_adjustment,
    validate_expense,
    validate_reimbursable,
    validate_transfer,
)
from spendsync.syncs.models import EXPENSE_KINDS, TransactionKind


def parse_payload(kind: TransactionKind, payload: dict[str, Any]) -> BaseModel:
    """The stored JSON back into its API model (it was validated when accepted)."""
    if kind in EXPENSE_KINDS:
        return ExpenseTransaction.model_validate(payload)
    if kind is TransactionKind.TRANSFER:
        return TransferTransactionRequest.model_validate(payload)
    if kind is TransactionKind.REIMBURSABLE:
        return ReimbursableExpenseTransaction.model_validate(payload)
    return AdjustmentTransactionRequest.model_validate(payload)


def _tracking(refs: Sequence[Any] | None) -> tuple[ledger.TrackingRef, ...]:
    return tuple(
        ledger.TrackingRef(ref.id, ledger.TrackingDataType(ref.data_type)) for ref in refs or []
    )


def _lines(lines: Sequence[ExpenseTransactionLine] | None) -> tuple[ledger.ExpenseLine, ...]:
    return tuple(
        ledger.ExpenseLine(
            net=line.net_amount,
            tax=line.tax_amount if line.tax_amount is not None else Decimal(0),
            account_id=line.account_ref.id if line.account_ref else None,
            tax_rate_id=line.tax_rate_ref.id if line.tax_rate_ref else None,
            tracking=_tracking(line.tracking_refs),
            invoice_to=ledger.InvoiceTo(line.invoice_to.id) if line.invoice_to else None,
            item_id=line.item_ref.id if line.item_ref else None,
        )
        for line in lines or []
    )


def to_domain(
    model: BaseModel, transaction_id: str
) -> ledger.Expense | ledger.Transfer | ledger.Reimbursable | ledger.Adjustment:
    if isinstance(model, ExpenseTransaction):
        return ledger.Expense(
            id=str(model.id),
            kind=ledger.ExpenseKind(model.type.value),
            issue_date=model.issue_date,
            currency=model.currency,
            lines=_lines(model.lines),
            currency_rate=model.currency_rate,
            bank_account_id=model.bank_account_ref.id if model.bank_account_ref else None,
            contact_id=model.contact_ref.id if model.contact_ref else None,
            contact_type=model.contact_ref.type if model.contact_ref else None,
            merchant_name=model.merchant_name,
            reference=model.reference,
            notes=model.notes,
            post_as_draft=bool(model.post_as_draft),
        )
    if isinstance(model, TransferTransactionRequest):
        # Codat's transfer carries no currency: amounts are in each account's currency, which
        # the connector knows; the shared rules see them as one unit.
        unit = "XXX"
        return ledger.Transfer(
            id=transaction_id,
            date=model.date,
            from_account_id=model.from_.account_ref.id,
            from_amount=Money(model.from_.amount, unit),
            to_account_id=model.to.account_ref.id,
            to_amount=Money(model.to.amount, unit),
            description=model.description,
        )
    if isinstance(model, ReimbursableExpenseTransaction):
        return ledger.Reimbursable(
            id=str(model.id),
            contact_id=model.contact_ref.id,
            issue_date=model.issue_date,
            due_date=model.due_date,
            currency=model.currency,
            lines=_lines(model.lines),
            currency_rate=model.currency_rate,
            ap_account_id=model.ap_account_ref.id if model.ap_account_ref else None,
            reference=model.reference,
            notes=model.notes,
        )
    assert isinstance(model, AdjustmentTransactionRequest)
    return ledger.Adjustment(
        id=str(model.id),
        date=model.date,
        currency=model.currency,
        lines=tuple(
            ledger.AdjustmentLine(
                amount=line.amount,
                account_id=line.account_ref.id,
                description=line.description,
                tracking=_tracking(line.tracking_refs),
                invoice_to=ledger.InvoiceTo(line.invoice_to.id) if line.invoice_to else None,
            )
            for line in model.lines
        ),
        currency_rate=model.currency_rate,
        reference=model.reference,
    )


def problems_of(
    kind: TransactionKind, transaction_id: str, payload: dict[str, Any]
) -> list[Problem]:
    document = to_domain(parse_payload(kind, payload), transaction_id)
    if isinstance(document, ledger.Expense):
        return validate_expense(document)
    if isinstance(document, ledger.Transfer):
        return validate_transfer(document)
    if isinstance(document, ledger.Reimbursable):
        problems = validate_reimbursable(document)
        if document.due_date < document.issue_date:
            problems.append(Problem("DueDate", "The due date is before the issue date."))
        return problems
    return validate_adjustment(document)


def to_document(
    kind: TransactionKind, transaction_id: str, payload: dict[str, Any]
) -> ledger.Expense | ledger.Transfer | ledger.Reimbursable | ledger.Adjustment:
    """What a connector writes: the ledger-domain object, not the API model."""
    return to_domain(parse_payload(kind, payload), transaction_id)
