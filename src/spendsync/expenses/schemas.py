"""Codat's request and response models for the transactions a client pushes.

Amounts are `Decimal` from the first byte: JSON numbers are parsed without passing through a
float, so `0.1 + 0.2` stays exact.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, ConfigDict, Field, RootModel, StringConstraints

from spendsync.api.schema import CamelModel, JsonDecimal


def _decimal_from_json(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("Input should be a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Amount = Annotated[
    JsonDecimal,
    BeforeValidator(_decimal_from_json),
    Field(allow_inf_nan=False, max_digits=28),
]
Rate = Annotated[
    JsonDecimal,
    BeforeValidator(_decimal_from_json),
    Field(allow_inf_nan=False, max_digits=28, gt=0),
]
CurrencyCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True), Field(examples=["GBP"])
]
RefId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ShortText = Annotated[str, StringConstraints(max_length=4000)]


def _date_from_codat(value: Any) -> Any:
    """Codat sends dates as `2022-10-23` or `2022-10-23T00:00:00Z`; accounting dates are dates."""
    if isinstance(value, str) and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return value
    return value


AccountingDate = Annotated[date, BeforeValidator(_date_from_codat)]


class ExpenseTransactionType(enum.StrEnum):
    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"


class RecordRef(CamelModel):
    id: RefId


class ExpenseContactRef(CamelModel):
    id: RefId
    type: Literal["Supplier", "Customer"] = "Supplier"


class TrackingRef(CamelModel):
    id: RefId
    data_type: Literal["trackingCategories", "customers"] = "trackingCategories"


class TrackingRefAdjustmentTransaction(CamelModel):
    id: RefId
    data_type: Literal["trackingCategories", "customers", "suppliers"] = "trackingCategories"


class InvoiceTo(CamelModel):
    id: RefId
    type: Literal["customer"] = "customer"


class ExpenseTransactionLine(CamelModel):
    net_amount: Amount
    tax_amount: Amount | None = None
    tax_rate_ref: RecordRef | None = None
    account_ref: RecordRef | None = None
    item_ref: RecordRef | None = None
    tracking_refs: list[TrackingRef] | None = None
    invoice_to: InvoiceTo | None = None


class ExpenseTransaction(CamelModel):
    model_config = ConfigDict(title="ExpenseTransaction")

    id: UUID
    type: ExpenseTransactionType
    issue_date: AccountingDate
    currency: CurrencyCode
    currency_rate: Rate | None = None
    contact_ref: ExpenseContactRef | None = None
    bank_account_ref: RecordRef | None = None
    reference: ShortText | None = None
    merchant_name: ShortText | None = None
    lines: list[ExpenseTransactionLine] | None = None
    notes: ShortText | None = None
    post_as_draft: bool | None = None


class CreateExpenseRequest(RootModel[list[ExpenseTransaction]]):
    model_config = ConfigDict(title="CreateExpenseRequest")


class UpdateExpenseRequest(CamelModel):
    model_config = ConfigDict(title="UpdateExpenseRequest")

    type: ExpenseTransactionType
    issue_date: AccountingDate
    currency: CurrencyCode
    currency_rate: Rate | None = None
    contact_ref: ExpenseContactRef | None = None
    bank_account_ref: RecordRef | None = None
    merchant_name: ShortText | None = None
    lines: list[ExpenseTransactionLine] | None = None
    notes: ShortText | None = None


class TransferSide(CamelModel):
    account_ref: RecordRef
    amount: Amount


class TransferTransactionRequest(CamelModel):
    model_config = ConfigDict(title="TransferTransactionRequest")

    description: ShortText | None = None
    date: AccountingDate
    from_: TransferSide = Field(alias="from")
    to: TransferSide


class ReimbursableExpenseTransactionLine(ExpenseTransactionLine):
    model_config = ConfigDict(title="ReimbursableExpenseTransactionLine")


class ReimbursableExpenseTransaction(CamelModel):
    id: UUID
    reference: ShortText | None = None
    contact_ref: RecordRef
    ap_account_ref: RecordRef | None = None
    issue_date: AccountingDate
    due_date: AccountingDate
    currency: CurrencyCode
    currency_rate: Rate | None = None
    notes: ShortText | None = None
    lines: list[ReimbursableExpenseTransactionLine] | None = None


class UpdateReimbursableExpenseTransactionRequest(CamelModel):
    reference: ShortText | None = None
    contact_ref: RecordRef
    ap_account_ref: RecordRef | None = None
    issue_date: AccountingDate
    due_date: AccountingDate
    currency: CurrencyCode
    currency_rate: Rate | None = None
    notes: ShortText | None = None
    lines: list[ReimbursableExpenseTransactionLine] | None = None


class AdjustmentTransactionLine(CamelModel):
    amount: Amount
    account_ref: RecordRef
    description: ShortText | None = None
    tracking_refs: list[TrackingRefAdjustmentTransaction] | None = None
    invoice_to: InvoiceTo | None = None


class AdjustmentTransactionRequest(CamelModel):
    id: UUID
    date: AccountingDate
    currency: CurrencyCode
    currency_rate: Rate | None = None
    reference: ShortText | None = None
    lines: list[AdjustmentTransactionLine]


class SyncInitiated(CamelModel):
    """The answer to every create or update: the sync that will push it."""

    model_config = ConfigDict(title="SyncInitiated", extra="forbid")

    sync_id: str
