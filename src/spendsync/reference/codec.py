"""Ledger records to and from the JSON kept in `reference_records.data` (exact decimals)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from spendsync.connectors.reference import (
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    LedgerTaxRate,
    LedgerTrackingCategory,
    ReferenceDataType,
)

_ADAPTERS: dict[ReferenceDataType, TypeAdapter[Any]] = {
    ReferenceDataType.CHART_OF_ACCOUNTS: TypeAdapter(LedgerAccount),
    ReferenceDataType.TAX_RATES: TypeAdapter(LedgerTaxRate),
    ReferenceDataType.TRACKING_CATEGORIES: TypeAdapter(LedgerTrackingCategory),
    ReferenceDataType.SUPPLIERS: TypeAdapter(LedgerContact),
    ReferenceDataType.CUSTOMERS: TypeAdapter(LedgerContact),
}


def encode(data_type: ReferenceDataType, record: LedgerRecord) -> dict[str, Any]:
    encoded: dict[str, Any] = _ADAPTERS[data_type].dump_python(record, mode="json")
    return encoded


def decode(data_type: ReferenceDataType, data: dict[str, Any]) -> LedgerRecord:
    record: LedgerRecord = _ADAPTERS[data_type].validate_python(data)
    return record
