"""Codat's sync and per-transaction status models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from spendsync.api.schema import CamelModel
from spendsync.syncs.models import Sync, SyncTransaction, TransactionStatus


class CompanySyncStatus(CamelModel):
    model_config = ConfigDict(title="CompanySyncStatus", extra="forbid")

    company_id: str | None
    sync_id: str | None
    sync_status_code: int
    sync_status: str | None
    error_message: str | None
    sync_exception_message: str | None
    sync_utc: datetime | None
    data_pushed: bool


class Transaction(CamelModel):
    model_config = ConfigDict(title="Transaction", extra="forbid")

    transaction_id: str | None
    status: TransactionStatus | None
    message: str | None = None
    integration_type: Literal["expenses", "bankfeeds"] | None = "expenses"


class Transactions(CamelModel):
    model_config = ConfigDict(title="Transactions")

    results: list[Transaction]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


def sync_to_schema(sync: Sync) -> CompanySyncStatus:
    return CompanySyncStatus(
        company_id=sync.company_id,
        sync_id=sync.id,
        sync_status_code=sync.status_code,
        sync_status=sync.status,
        error_message=sync.error_message or "",
        sync_exception_message=sync.error_message or "",
        sync_utc=sync.completed or sync.started or sync.created,
        data_pushed=sync.data_pushed,
    )


def transaction_to_schema(row: SyncTransaction) -> Transaction:
    return Transaction(transaction_id=row.transaction_id, status=row.status, message=row.message)
