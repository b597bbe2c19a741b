"""Codat's PushOperation and the supplier/customer bodies that create or update one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from spendsync.api.schema import CamelModel
from spendsync.pushes.models import PushOperation as PushRow
from spendsync.pushes.models import PushStatus

Name = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(max_length=255)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]


class SupplierBody(CamelModel):
    model_config = ConfigDict(title="Supplier")

    id: Short | None = None
    supplier_name: Name
    contact_name: Short | None = None
    email_address: Short | None = None
    tax_number: Short | None = None
    registration_number: Short | None = None
    status: Literal["Unknown", "Active", "Archived"] = "Active"
    default_currency: Currency | None = None


class CustomerBody(CamelModel):
    model_config = ConfigDict(title="Customer")

    id: Short | None = None
    customer_name: Name
    contact_name: Short | None = None
    email_address: Short | None = None
    tax_number: Short | None = None
    registration_number: Short | None = None
    status: Literal["Unknown", "Active", "Archived"] = "Active"
    default_currency: Currency | None = None


AccountKind = Literal["Unknown", "Asset", "Expense", "Income", "Liability", "Equity"]


class AccountBody(CamelModel):
    """Codat's account prototype (POST …/push/accounts)."""

    model_config = ConfigDict(title="Account prototype")

    nominal_code: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] | None = (
        None
    )
    name: Name
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    fully_qualified_category: Annotated[str, StringConstraints(max_length=100)] | None = None
    fully_qualified_name: Short | None = None
    currency: Currency | None = None
    current_balance: float | None = None
    type: AccountKind = "Unknown"
    status: Literal["Unknown", "Active", "Archived", "Pending"] = "Active"
    is_bank_account: bool = False


class BankAccountBody(CamelModel):
    """Codat's bank account prototype (POST …/push/bankAccounts)."""

    model_config = ConfigDict(title="Bank account prototype")

    account_name: Name
    account_type: Literal["Credit", "Debit"]
    nominal_code: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] | None = (
        None
    )
    sort_code: Annotated[str, StringConstraints(max_length=16, strip_whitespace=True)] | None = None
    account_number: (
        Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] | None
    ) = None
    i_ban: Annotated[str, StringConstraints(max_length=34)] | None = None
    currency: Currency
    balance: float | None = None
    institution: Short | None = None
    available_balance: float | None = None
    overdraft_limit: float | None = None


class PushFieldValidation(CamelModel):
    field: str | None = None
    details: str


class PushValidationInfo(CamelModel):
    warnings: list[PushFieldValidation] | None = None
    information: list[PushFieldValidation] | None = None


class PushOptionChoice(CamelModel):
    value: str
    type: str = "String"
    display_name: str
    required: bool = False


class PushOptionProperty(CamelModel):
    type: Literal["Array", "Object", "String", "Number", "Boolean", "DateTime", "File", "MultiPart"]
    display_name: str
    description: str
    required: bool
    properties: dict[str, PushOptionProperty] | None = None
    options: list[PushOptionChoice] | None = None
    validation: PushValidationInfo | None = None


class PushOption(CamelModel):
    """What a platform needs to create a record: Codat's `options/{dataType}` models."""

    model_config = ConfigDict(title="PushOption")

    type: Literal["Array", "Object", "String", "Number", "Boolean", "DateTime", "File", "MultiPart"]
    display_name: str
    description: str | None = None
    required: bool
    properties: dict[str, PushOptionProperty] | None = None
    options: list[PushOptionChoice] | None = None
    validation: PushValidationInfo | None = None


class PushOperationRef(CamelModel):
    id: str
    data_type: str | None = None


class PushOperationChange(CamelModel):
    type: Literal["Unknown", "Created", "Modified", "Deleted", "AttachmentUploaded"]
    record_ref: PushOperationRef
    attachment_id: str | None = None


class PushValidationItem(CamelModel):
    item_id: str | None = None
    message: str | None = None
    validator_name: str | None = None


class PushValidation(CamelModel):
    errors: list[PushValidationItem] | None = None
    warnings: list[PushValidationItem] | None = None


class PushOperationOut(CamelModel):
    model_config = ConfigDict(title="PushOperation")

    changes: list[PushOperationChange] | None = None
    data_type: str | None = None
    company_id: str
    push_operation_key: str
    data_connection_key: str
    requested_on_utc: datetime
    completed_on_utc: datetime | None = None
    timeout_in_minutes: int | None = None
    status: PushStatus
    error_message: str | None = None
    validation: PushValidation | None = None
    status_code: int
    data: dict[str, Any] | None = None


class PushOperations(CamelModel):
    results: list[PushOperationOut]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


def push_to_schema(row: PushRow) -> PushOperationOut:
    validation = (
        PushValidation(errors=[PushValidationItem(message=row.error_message)], warnings=[])
        if row.status is PushStatus.FAILED and row.error_message
        else None
    )
    return PushOperationOut(
        changes=[PushOperationChange.model_validate(c) for c in row.changes],
        data_type=row.data_type,
        company_id=row.company_id,
        push_operation_key=row.id,
        data_connection_key=row.connection_id,
        requested_on_utc=row.requested,
        completed_on_utc=row.completed,
        status=row.status,
        error_message=row.error_message,
        validation=validation,
        status_code=row.status_code,
        data=row.data,
    )
