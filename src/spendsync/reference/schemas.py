"""Codat's models for pull operations, data status, suppliers and customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from spendsync.api.schema import CamelModel
from spendsync.connectors.reference import LedgerContact, RecordStatus
from spendsync.reference.models import PullOperation as PullRow
from spendsync.reference.models import PullStatus


class PullOperation(CamelModel):
    model_config = ConfigDict(title="PullOperation")

    id: str
    company_id: str
    connection_id: str
    data_type: str
    status: PullStatus
    status_description: str | None = None
    error_message: str | None = None
    requested: datetime
    completed: datetime | None = None
    progress: int
    is_completed: bool
    is_errored: bool


class PullOperations(CamelModel):
    results: list[PullOperation]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


class DataStatus(CamelModel):
    data_type: str
    last_successful_sync: datetime | None = None
    current_status: PullStatus
    latest_sync_id: str | None = None
    latest_successful_sync_id: str | None = None


class RecordMetadata(CamelModel):
    is_deleted: bool = False


class Supplier(CamelModel):
    model_config = ConfigDict(title="Supplier")

    id: str
    supplier_name: str | None
    email_address: str | None = None
    tax_number: str | None = None
    status: str
    default_currency: str | None = None
    metadata: RecordMetadata
    modified_date: datetime | None = None
    source_modified_date: datetime | None = None


class Customer(CamelModel):
    model_config = ConfigDict(title="Customer")

    id: str
    customer_name: str | None
    email_address: str | None = None
    tax_number: str | None = None
    status: str
    default_currency: str | None = None
    metadata: RecordMetadata
    modified_date: datetime | None = None
    source_modified_date: datetime | None = None


class Suppliers(CamelModel):
    results: list[Supplier]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


class Customers(CamelModel):
    results: list[Customer]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


_ERRORED = {
    PullStatus.FETCH_ERROR,
    PullStatus.AUTH_ERROR,
    PullStatus.NOT_SUPPORTED,
    PullStatus.RATE_LIMIT_ERROR,
}


def pull_to_schema(row: PullRow) -> PullOperation:
    return PullOperation(
        id=row.id,
        company_id=row.company_id,
        connection_id=row.connection_id,
        data_type=row.data_type,
        status=row.status,
        status_description=f"{row.records_read} records read" if row.completed else None,
        error_message=row.error_message,
        requested=row.requested,
        completed=row.completed,
        progress=row.progress,
        is_completed=row.completed is not None,
        is_errored=row.status in _ERRORED,
    )


def _status(contact: LedgerContact) -> str:
    return "Active" if contact.status is RecordStatus.ACTIVE else "Archived"


def supplier_to_schema(contact: LedgerContact, modified: datetime | None) -> Supplier:
    return Supplier(
        id=contact.id,
        supplier_name=contact.name,
        email_address=contact.email,
        tax_number=contact.tax_number,
        status=_status(contact),
        default_currency=contact.currency,
        metadata=RecordMetadata(),
        modified_date=modified,
        source_modified_date=contact.modified,
    )


def customer_to_schema(contact: LedgerContact, modified: datetime | None) -> Customer:
    return Customer(
        id=contact.id,
        customer_name=contact.name,
        email_address=contact.email,
        tax_number=contact.tax_number,
        status=_status(contact),
        default_currency=contact.currency,
        metadata=RecordMetadata(),
        modified_date=modified,
        source_modified_date=contact.modified,
    )
