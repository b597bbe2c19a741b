"""Checks of a transaction's references against the ledger's reference data, and the company
configuration's fallbacks. Only data types spendsync has read are checked: the first read
happens when a connection is linked, and `POST …/data/all` repeats it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cachetools import LRUCache
from sqlalchemy.orm import Session

from spendsync.config import get_settings
from spendsync.configuration.models import CompanyConfiguration
from spendsync.connections.models import Connection
from spendsync.connectors.reference import (
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    LedgerTaxRate,
    LedgerTrackingCategory,
    RecordStatus,
    ReferenceDataType,
)
from spendsync.connectors.registry import PlatformKey
from spendsync.mapping import rules
from spendsync.reference import codec, repository
from spendsync.syncs.models import EXPENSE_KINDS, TransactionKind


@dataclass
class ReferenceData:
    """The cached records of the data types that have been read, by platform id."""

    read: set[ReferenceDataType] = field(default_factory=set)
    records: dict[ReferenceDataType, dict[str, LedgerRecord]] = field(default_factory=dict)
    base_currency: str | None = None

    def find(self, data_type: ReferenceDataType, record_id: str) -> LedgerRecord | None:
        return self.records.get(data_type, {}).get(record_id)


# Decoded reference data by connection id, with the connection's reference_version it was
# read at: checking a request against it costs no query while the version stays the same.
# Bounded by records, not connections: one ledger may hold ten thousand contacts, another ten.
_decoded: LRUCache[str, tuple[int, ReferenceData]] | None = None
_decoded_lock = threading.Lock()


def _records_in(kept: tuple[int, ReferenceData]) -> int:
    return 1 + sum(len(records) for records in kept[1].records.values())


def _cache() -> LRUCache[str, tuple[int, ReferenceData]]:
    """Called under _decoded_lock."""
    global _decoded
    if _decoded is None:
        _decoded = LRUCache(maxsize=get_settings().reference_cache_records, getsizeof=_records_in)
    return _decoded


def _read(session: Session, connection: Connection) -> ReferenceData:
    data = ReferenceData()
    for data_type in ReferenceDataType:
        if (
            repository.latest_pull(
                session,
                connection.client_id,
                connection.company_id,
                data_type.value,
                successful=True,
            )
            is None
        ):
            continue
        data.read.add(data_type)
        data.records[data_type] = {
            row.platform_id: codec.decode(data_type, row.data)
            for row in repository.records(
                session, connection.company_id, connection.id, data_type.value, include_deleted=True
            )
            if not row.is_deleted
        }
    return data


def load(session: Session, connection: Connection) -> ReferenceData:
    """The connection's reference data as of its `reference_version` (read once per version
    in a process; the records are shared, never changed)."""
    version = connection.reference_version
    with _decoded_lock:
        kept = _cache().get(connection.id)
    if kept is not None and kept[0] == version:
        data = kept[1]
    else:
        # Read after the version: what is read is at least that new, and a change committed
        # meanwhile raises the version again, so the next request reads once more.
        data = _read(session, connection)
        kept = (version, data)
        with _decoded_lock:
            cache = _cache()
            if _records_in(kept) <= cache.maxsize:  # larger than the whole cache: not kept
                cache[connection.id] = kept
    return replace(data, base_currency=(connection.connection_info or {}).get("baseCurrency"))


@dataclass(frozen=True)
class Problem:
    item_id: str
    message: str


def apply_defaults(
    kind: TransactionKind,
    payload: dict[str, Any],
    config: CompanyConfiguration | None,
    platform_key: str,
) -> dict[str, Any]:
    """Fill `bankAccountRef` and `contactRef` from the configuration where the item has none.
    On Xero, money coming back (Refund, Reward, Chargeback) is received from the customer."""
    if kind not in EXPENSE_KINDS or config is None:
        return payload
    filled = dict(payload)
    if not filled.get("bankAccountRef") and config.bank_account_id:
        filled["bankAccountRef"] = {"id": config.bank_account_id}
    if not filled.get("contactRef"):
        incoming = kind is not TransactionKind.PAYMENT and platform_key == PlatformKey.XERO
        if incoming and config.customer_id:
            filled["contactRef"] = {"id": config.customer_id, "type": "Customer"}
        elif not incoming and config.supplier_id:
            filled["contactRef"] = {"id": config.supplier_id, "type": "Supplier"}
    return filled


def _account(
    data: ReferenceData, account_id: str | None, where: str, purpose: str
) -> tuple[LedgerAccount | None, list[Problem]]:
    if ReferenceDataType.CHART_OF_ACCOUNTS not in data.read:
        return None, []
    if not account_id:
        return None, [Problem(where, f"An account is required ({purpose}).")]
    account = data.find(ReferenceDataType.CHART_OF_ACCOUNTS, account_id)
    if not isinstance(account, LedgerAccount):
        return None, [Problem(where, f"Account {account_id} was not found in the ledger.")]
    if account.status is not RecordStatus.ACTIVE:
        return account, [Problem(where, f"Account {account_id} ({account.name}) is archived.")]
    return account, []


def _bank_account(data: ReferenceData, account_id: str | None, where: str) -> list[Problem]:
    if not account_id:
        return [
            Problem(
                where,
                "No bank account: set bankAccountRef, or the bank account of the company "
                "configuration.",
            )
        ]
    account, problems = _account(data, account_id, where, "the bank or card account")
    if account is not None and not problems and not account.is_bank_account:
        problems.append(
            Problem(where, f"Account {account_id} ({account.name}) is not a bank or card account.")
        )
    return problems


def _contact(data: ReferenceData, ref: dict[str, Any] | None, where: str) -> list[Problem]:
    if not ref:
        return []
    data_type = (
        ReferenceDataType.CUSTOMERS
        if ref.get("type") == "Customer"
        else ReferenceDataType.SUPPLIERS
    )
    if data_type not in data.read:
        return []
    contact = data.find(data_type, str(ref.get("id")))
    noun = "customer" if data_type is ReferenceDataType.CUSTOMERS else "supplier"
    if not isinstance(contact, LedgerContact):
        return [Problem(where, f"The {noun} {ref.get('id')} was not found in the ledger.")]
    if contact.status is not RecordStatus.ACTIVE:
        return [Problem(where, f"The {noun} {contact.id} ({contact.name}) is archived.")]
    return []


def _line_refs(
    data: ReferenceData, kind: TransactionKind, lines: Iterable[dict[str, Any]]
) -> list[Problem]:
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        where = f"Lines[{index}]"
        account_id = (line.get("accountRef") or {}).get("id")
        if line.get("itemRef") and not account_id:
            continue  # an item carries its own account (QuickBooks Desktop)
        account, found = _account(data, account_id, f"{where}.AccountRef", "the line's account")
        problems += found
        if account is not None and not found:
            allowed = (
                rules.valid_transaction_types(account)
                if kind in EXPENSE_KINDS
                else ["Reimbursable"]
                if account.account_type.value != "Income" and not account.is_bank_account
                else []
            )
            if kind.value not in allowed:
                problems.append(
                    Problem(
                        f"{where}.AccountRef",
                        f"Account {account.id} ({account.name}, {account.account_type.value}) "
                        f"cannot be used for {kind.value} transactions.",
                    )
                )
        rate_id = (line.get("taxRateRef") or {}).get("id")
        if rate_id and ReferenceDataType.TAX_RATES in data.read:
            rate = data.find(ReferenceDataType.TAX_RATES, rate_id)
            if not isinstance(rate, LedgerTaxRate) or rate.status is not RecordStatus.ACTIVE:
                problems.append(
                    Problem(
                        f"{where}.TaxRateRef", f"Tax rate {rate_id} was not found in the ledger."
                    )
                )
            elif kind in EXPENSE_KINDS and kind.value not in rules.tax_rate_transaction_types(rate):
                problems.append(
                    Problem(
                        f"{where}.TaxRateRef",
                        f"Tax rate {rate.id} ({rate.name}) cannot be used for {kind.value} "
                        "transactions.",
                    )
                )
        for t_index, tracking in enumerate(line.get("trackingRefs") or []):
            if tracking.get("dataType", "trackingCategories") != "trackingCategories":
                continue
            if ReferenceDataType.TRACKING_CATEGORIES not in data.read:
                break
            category = data.find(ReferenceDataType.TRACKING_CATEGORIES, str(tracking.get("id")))
            if (
                not isinstance(category, LedgerTrackingCategory)
                or category.status is not RecordStatus.ACTIVE
            ):
                problems.append(
                    Problem(
                        f"{where}.TrackingRefs[{t_index}]",
                        f"Tracking category {tracking.get('id')} was not found in the ledger.",
                    )
                )
    return problems


def _currencies(data: ReferenceData, payload: dict[str, Any]) -> list[Problem]:
    """Money moves in the bank account's currency, and at most one currency other than the
    company's base currency takes part in a transaction (Codat's FX rules)."""
    bank_id = (payload.get("bankAccountRef") or {}).get("id")
    bank = data.find(ReferenceDataType.CHART_OF_ACCOUNTS, str(bank_id)) if bank_id else None
    currency = str(payload.get("currency") or "").upper()
    if not isinstance(bank, LedgerAccount) or not currency:
        return []
    if currency != bank.currency:
        base = data.base_currency
        if base and currency != base and bank.currency != base:
            return [
                Problem(
                    "Currency",
                    f"Two currencies other than the base currency {base} cannot meet in one "
                    f"transaction ({currency} spent from a {bank.currency} account).",
                )
            ]
        return [
            Problem(
                "Currency",
                f"The transaction is in {currency} but the bank account {bank.name} holds "
                f"{bank.currency}; record it in {bank.currency}.",
            )
        ]
    return []


def check(data: ReferenceData, kind: TransactionKind, payload: dict[str, Any]) -> list[Problem]:
    """Every reference problem of one transaction (itemIds relative to the item)."""
    if kind in EXPENSE_KINDS:
        problems = _bank_account(
            data, (payload.get("bankAccountRef") or {}).get("id"), "BankAccountRef"
        )
        problems += _currencies(data, payload)
        problems += _contact(data, payload.get("contactRef"), "ContactRef")
        return problems + _line_refs(data, kind, payload.get("lines") or [])
    if kind is TransactionKind.TRANSFER:
        problems = []
        for side in ("from", "to"):
            account_id = ((payload.get(side) or {}).get("accountRef") or {}).get("id")
            problems += _bank_account(data, account_id, f"{side.capitalize()}.AccountRef")
        return problems
    if kind is TransactionKind.REIMBURSABLE:
        # The employee is a supplier on some platforms and an employee record on others, so
        # the contact is checked by the platform itself.
        return _line_refs(data, kind, payload.get("lines") or [])
    problems = []
    for index, line in enumerate(payload.get("lines") or []):
        _, found = _account(
            data,
            (line.get("accountRef") or {}).get("id"),
            f"Lines[{index}].AccountRef",
            "the line's account",
        )
        problems += found
    return problems


def check_configuration(
    data: ReferenceData,
    *,
    bank_account_id: str | None,
    supplier_id: str | None,
    customer_id: str | None,
) -> list[Problem]:
    """The configured defaults must exist in the ledger (where it has been read)."""
    problems = _bank_account(data, bank_account_id, "BankAccount.Id") if bank_account_id else []
    if supplier_id:
        problems += _contact(data, {"id": supplier_id, "type": "Supplier"}, "Supplier.Id")
    if customer_id:
        problems += _contact(data, {"id": customer_id, "type": "Customer"}, "Customer.Id")
    return problems
