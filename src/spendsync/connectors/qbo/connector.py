"""The QuickBooks Online connector: HTTP over httpx, `requestid` on every write, `minorversion`
on every call, one table for every failure QBO signals.

    429                         → Transient(Retry-After)
    5xx, timeouts, SystemFault  → Transient
    401                         → refresh the token once and retry; again → AuthFailure
    403, Authentication/AuthorizationFault → AuthFailure (access revoked or never granted)
    400 / ValidationFault       → RecordValidation with QBO's Message + Detail, per record

Writes of several new records go through the batch endpoint (≤ 30 items per call, one
`requestid` for the batch); a Fault on one item fails that item only. Updates carry the
record's `SyncToken`; a stale token (code 5010) is re-read and the update tried once more.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

import httpx

from spendsync.connections.models import Connection
from spendsync.connectors.base import (
    CompanyInformation,
    LedgerContext,
    LedgerDocument,
    PlatformRecord,
    PushItem,
    PushOperation,
    PushOutcome,
)
from spendsync.connectors.calls import PlatformCalls, platform_client
from spendsync.connectors.credentials import CredentialStore
from spendsync.connectors.errors import (
    AuthFailure,
    ConnectorError,
    NotSupported,
    RecordValidation,
    Transient,
)
from spendsync.connectors.qbo import auth, mapping
from spendsync.connectors.qbo.link import qbo_app_or_refuse
from spendsync.connectors.reference import (
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    NewAccount,
    ReferenceDataType,
    ReferenceRead,
)
from spendsync.connectors.settings_cache import ledger_setting, remember_setting
from spendsync.connectors.throttle import Limits, throttle_for
from spendsync.ledger.model import Adjustment, Expense, Reimbursable, Transfer, referenced_accounts
from spendsync.ledger.money import Money
from spendsync.ledger.posting import (
    UnbalancedPlan,
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
)
from spendsync.ledger.validation import InvalidTransaction

Json = dict[str, Any]
T = TypeVar("T")

PLATFORM_KEY = "qhyg"
PAGE_SIZE = 1000  # QBO's MAXRESULTS cap
MAX_BATCH = 30  # Intuit's recommended (and the sandbox's enforced) batch size
MAX_REQUEST_ID = 50
BATCH_REQUEST_ID = 36  # Intuit: ≤ 36 for a batch, whose bIds make up the rest
STALE_OBJECT = "5010"
_AUTH_FAULTS = {"AuthenticationFault", "AuthorizationFault", "AuthorizatonFault"}


class Refused(RecordValidation):
    """QBO refused the record; `codes` are its Fault error codes (5010: stale SyncToken)."""

    def __init__(self, message: str, codes: set[str]) -> None:
        super().__init__(message)
        self.codes = codes


def classify(status: int, payload: Any, retry_after: str | None) -> ConnectorError | None:
    """THE table: what one QBO answer (status + body) means, or None when it is a success."""
    fault = payload.get("Fault") if isinstance(payload, dict) else None
    fault_type = str(fault.get("type") or "") if isinstance(fault, dict) else ""
    if status == 429:
        wait = _seconds(retry_after, 60.0)
        return Transient(
            f"QuickBooks throttled the company's calls (429); wait {wait:g}s.", retry_after=wait
        )
    if status == 401:
        return AuthFailure("QuickBooks refused the access token after a refresh.")
    if status == 403 or fault_type in _AUTH_FAULTS:
        return AuthFailure(
            "QuickBooks refused access to the company (the connection was revoked or lacks "
            f"the accounting scope): {mapping.fault_message(payload)}"
        )
    if status >= 500 or fault_type == "SystemFault":
        return Transient(
            f"QuickBooks answered {status}: {mapping.fault_message(payload)}",
            retry_after=_seconds(retry_after, None) if retry_after else None,
        )
    if fault is not None or status >= 400:
        return Refused(mapping.fault_message(payload), mapping.fault_codes(payload))
    return None


def _seconds(value: str | None, default: float | None) -> Any:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def request_id(*parts: str, length: int = 40) -> str:
    """A `requestid` from our stable ids (≤ 50 characters, as QBO allows)."""
    if len(parts) == 1 and len(parts[0]) <= min(length, MAX_REQUEST_ID):
        return parts[0]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def _payload(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _classified(response: httpx.Response) -> Any:
    """The answer's JSON, or the error `classify` finds in it."""
    payload = _payload(response)
    error = classify(response.status_code, payload, response.headers.get("Retry-After"))
    if error is not None:
        raise error
    return payload


@dataclass(frozen=True)
class _Write:
    item: PushItem
    entity: str
    body: Json


class QboLedger:
    """One linked QuickBooks Online company (realm)."""

    max_batch_size = MAX_BATCH

    def __init__(
        self, connection: Connection, context: LedgerContext, *, page_size: int = PAGE_SIZE
    ) -> None:
        self._app = qbo_app_or_refuse(context)
        self._page_size = min(page_size, PAGE_SIZE)
        settings = context.settings
        self._http = platform_client(self._app.api_url, settings.platform_timeout_seconds)
        limits = Limits(
            # A minute allows no more than sixty seconds' worth of calls.
            calls=min(settings.qbo_calls_per_minute, settings.qbo_calls_per_second * 60),
            period_seconds=settings.qbo_minute_seconds,
            calls_per_day=None,
            concurrent=settings.qbo_max_concurrent_calls,
            calls_per_second=settings.qbo_calls_per_second,
        )
        throttle = throttle_for("quickbooksonline", limits, context)
        self.round_calls = limits.round_calls()
        app = self._app
        self._calls = PlatformCalls(
            PLATFORM_KEY,
            "QuickBooks",
            self._http,
            throttle,
            CredentialStore(context, connection.id),
            lambda refresh_token: auth.refresh(app, refresh_token),
            "realm_id",
        )
        self.max_concurrent_pushes = settings.qbo_max_concurrent_calls
        self._connection_id = connection.id
        self._cache_seconds = settings.ledger_settings_cache_seconds
        self._books_key: str | None = None

    def close(self) -> None:
        """Nothing to release: the HTTP client is the process's (`platform_client`), kept for
        the next ledger opened on this platform."""

    # -- HTTP ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        files: Any = None,
    ) -> Any:
        """One call under `/company/{realm}`, its answer classified (`PlatformCalls`: token,
        throttle, short retries). Writes carry a `requestid`, so repeating one never writes
        twice."""
        return self._calls.call(
            method,
            lambda realm: (f"/company/{realm}/{path.lstrip('/')}", {}),
            _classified,
            params={**(params or {}), "minorversion": str(self._app.minor_version)},
            json=json_body,
            files=files,
        )

    # -- reading ----------------------------------------------------------------------

    def _query(self, entity: str, where: str = "", *, select: str = "*") -> list[Json]:
        """Every record of `entity` matching `where`, page by page."""
        found: list[Json] = []
        start = 1
        while True:
            # QBO's query language, not SQL; literals are quoted by the callers.
            text = f"select {select} from {entity}{f' where {where}' if where else ''}"  # noqa: S608
            text += f" STARTPOSITION {start} MAXRESULTS {self._page_size}"
            try:
                payload = self._call("GET", "query", params={"query": text})
            except RecordValidation as exc:
                raise NotSupported(f"QuickBooks refused to list {entity}: {exc}") from exc
            page = (payload.get("QueryResponse") or {}).get(entity) or []
            found += page
            if len(page) < self._page_size:
                return found
            start += self._page_size

    def _list(self, entity: str, since: datetime | None = None) -> list[Json]:
        """Active and inactive records (QBO lists only active ones unless asked)."""
        where = "Active IN (true, false)"
        if since is not None:
            where += f" AND MetaData.LastUpdatedTime > '{mapping.qbo_time(since)}'"
        return self._query(entity, where)

    def _get(self, path: str, key: str) -> Json:
        try:
            found = self._call("GET", path).get(key)
        except RecordValidation as exc:
            raise NotSupported(f"QuickBooks refused to read {path}: {exc}") from exc
        if not isinstance(found, dict):
            raise NotSupported(f"QuickBooks returned no {key}.")
        return found

    def _books(self) -> str:
        if self._books_key is None:
            # Keyed by the tenant too: a connection relinked to other books starts afresh.
            # Read once per opened ledger, not per lookup (each item of a batch looks up).
            _, tenant = self._calls.access()
            self._books_key = f"{self._connection_id}/{tenant}"
        return self._books_key

    def _setting(self, name: str, load: Callable[[], T], needed: Iterable[str] = ()) -> T:
        return ledger_setting(self._books(), name, load, self._cache_seconds, needed=needed)

    def _company(self) -> tuple[CompanyInformation, mapping.Books, str]:
        """Company info, the books' settings and what departments are called, from CompanyInfo
        and Preferences, read once per `ledger_settings_cache_seconds`."""
        _, realm = self._calls.access()

        def load() -> tuple[Json, Json]:
            return self._get(f"companyinfo/{realm}", "CompanyInfo"), self._get(
                "preferences", "Preferences"
            )

        info, preferences = self._setting("company", load)
        company = mapping.company_info_from_qbo(info, preferences)
        accounting = preferences.get("AccountingInfoPrefs") or {}
        department_label = str(accounting.get("DepartmentTerminology") or "Location")
        information = CompanyInformation(
            company_name=company.company_name,
            base_currency=company.base_currency,
            accounting_platform_ref=realm,
            registration_number=company.registration_number,
            financial_year_start_date=company.financial_year_start_date,
            source_urls=company.source_urls,
            created_date=company.created_date,
        )
        country = str(info.get("Country") or "US").upper()
        books = mapping.Books(
            home_currency=company.base_currency,
            multicurrency=bool(
                (preferences.get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled")
            ),
            vat=country not in ("US", "USA"),
        )
        return information, books, department_label

    def get_company_info(self) -> CompanyInformation:
        return self._company()[0]

    def _accounts_for(self, document: LedgerDocument) -> dict[str, Json]:
        """Account id → account, holding every account `document` names (read again when one
        is new); for writing only — reference reads always read the books."""

        def load() -> dict[str, Json]:
            return {str(a["Id"]): a for a in self._list("Account")}

        return self._setting("accounts", load, referenced_accounts(document))

    def _write_books(self, document: LedgerDocument) -> mapping.Books:
        _, books, _ = self._company()
        types = {
            id_: str(a.get("AccountType") or "") for id_, a in self._accounts_for(document).items()
        }
        return mapping.Books(books.home_currency, books.multicurrency, books.vat, types)

    def read(self, data_type: ReferenceDataType, modified_since: datetime | None) -> ReferenceRead:
        records: list[LedgerRecord] = []
        complete = modified_since is None
        home = self.get_company_info().base_currency
        if data_type is ReferenceDataType.CHART_OF_ACCOUNTS:
            raw_accounts = self._list("Account", None if complete else modified_since)
            records = [mapping.account_from_qbo(raw, home) for raw in raw_accounts]
            if complete:  # every account: what the first write would read (_accounts_for)
                accounts = {str(a["Id"]): a for a in raw_accounts}
                remember_setting(self._books(), "accounts", accounts, self._cache_seconds)
        elif data_type is ReferenceDataType.TAX_RATES:
            complete = True  # a code's rate lives in TaxRate records: read both whole
            rates = {str(r["Id"]): r for r in self._list("TaxRate")}
            records = [mapping.tax_rate_from_qbo(code, rates) for code in self._list("TaxCode")]
        elif data_type is ReferenceDataType.TRACKING_CATEGORIES:
            complete = True  # the roots and has_children need the whole trees
            records = list(
                mapping.tracking_from_qbo(
                    self._list("Class"), self._list("Department"), self._company()[2]
                )
            )
        elif data_type is ReferenceDataType.SUPPLIERS:
            records = [
                mapping.contact_from_qbo(raw, entity)
                for entity in ("Vendor", "Employee")
                for raw in self._list(entity, modified_since)
            ]
        else:
            records = [
                mapping.contact_from_qbo(raw, "Customer")
                for raw in self._list("Customer", modified_since)
            ]
        return ReferenceRead(data_type, records, complete=complete)

    # -- writing ----------------------------------------------------------------------

    def _employee_vendor(self, employee_id: str, currency: str, books: mapping.Books) -> str:
        """The vendor that stands for an employee in `currency`: found by name, else created."""
        employee = self._get(f"employee/{employee_id}", "Employee")
        name = str(
            employee.get("DisplayName")
            or " ".join(p for p in (employee.get("GivenName"), employee.get("FamilyName")) if p)
        )
        vendor_name = mapping.employee_vendor_name(name, currency, books.home_currency)
        quoted = vendor_name.replace("'", "\\'")
        found = self._query("Vendor", f"DisplayName = '{quoted}' AND Active IN (true, false)")
        if found:
            return str(found[0]["Id"])
        body: Json = {
            "DisplayName": vendor_name,
            "GivenName": employee.get("GivenName"),
            "FamilyName": employee.get("FamilyName"),
        }
        if books.multicurrency:
            body["CurrencyRef"] = {"value": currency}
        if employee.get("PrimaryEmailAddr"):
            body["PrimaryEmailAddr"] = employee["PrimaryEmailAddr"]
        body = {k: v for k, v in body.items() if v is not None}
        created = self._call(
            "POST",
            "vendor",
            params={"requestid": request_id("vendor", vendor_name)},
            json_body=body,
        )
        return str(created["Vendor"]["Id"])

    def _priced(self, transfer: Transfer) -> Transfer:
        """Codat's transfer amounts are each in its account's currency, which QBO knows."""
        home = self.get_company_info().base_currency
        currencies = {
            id_: str((a.get("CurrencyRef") or {}).get("value") or home)
            for id_, a in self._accounts_for(transfer).items()
        }

        def priced(amount: Money, account_id: str) -> Money:
            if account_id not in currencies:
                raise mapping.Unmappable(f"Account {account_id} is not in the QuickBooks books.")
            return Money(amount.amount, currencies[account_id])

        return replace(
            transfer,
            from_amount=priced(transfer.from_amount, transfer.from_account_id),
            to_amount=priced(transfer.to_amount, transfer.to_account_id),
        )

    def _body(self, item: PushItem) -> tuple[str, Json]:
        """(entity, body) for one item; RecordValidation/Unmappable when QBO cannot take it."""
        document = item.document
        books = self._write_books(document)
        base = books.home_currency
        try:
            if isinstance(document, Expense):
                plan = plan_expense(document, base)
                entity = mapping.expense_record_type(plan, books)
                if entity == "Deposit":
                    return entity, mapping.deposit(plan, books)
                return entity, mapping.purchase(plan, books)
            if isinstance(document, Transfer):
                return "Transfer", mapping.transfer(
                    plan_transfer(self._priced(document), base), books
                )
            if isinstance(document, Reimbursable):
                plan = plan_reimbursable(document, base)
                vendor = document.contact_id
                if vendor.startswith(mapping.EMPLOYEE_PREFIX):
                    vendor = self._employee_vendor(
                        vendor.removeprefix(mapping.EMPLOYEE_PREFIX), plan.currency, books
                    )
                return "Bill", mapping.bill(plan, books, vendor)
            assert isinstance(document, Adjustment)
            return "JournalEntry", mapping.journal_entry(plan_adjustment(document, base), books)
        except (InvalidTransaction, UnbalancedPlan) as exc:
            raise mapping.Unmappable(f"The transaction cannot be posted: {exc}") from exc

    def push(self, items: Sequence[PushItem]) -> list[PushOutcome]:
        outcomes: dict[str, PushOutcome] = {}
        creates: list[_Write] = []
        for item in items:
            try:
                entity, body = self._body(item)
            except (mapping.Unmappable, RecordValidation, NotSupported) as exc:
                outcomes[item.transaction_id] = PushOutcome(item.transaction_id, rejection=str(exc))
                continue
            if item.operation is PushOperation.UPDATE and item.existing is not None:
                outcomes[item.transaction_id] = self._update(item, entity, body)
            else:
                creates.append(_Write(item, entity, body))
        for start in range(0, len(creates), MAX_BATCH):
            chunk = creates[start : start + MAX_BATCH]
            if len(chunk) == 1:
                outcomes[chunk[0].item.transaction_id] = self._create(chunk[0])
            else:
                outcomes.update(self._create_batch(chunk))
        return [outcomes[item.transaction_id] for item in items]

    @staticmethod
    def _stored(write: _Write, record: Any) -> PushOutcome:
        if not isinstance(record, dict) or not record.get("Id"):
            return PushOutcome(
                write.item.transaction_id, rejection="QuickBooks returned the record without an id."
            )
        return PushOutcome(
            write.item.transaction_id,
            record=PlatformRecord(write.entity, str(record["Id"]), record.get("SyncToken")),
        )

    def _create(self, write: _Write) -> PushOutcome:
        try:
            answer = self._call(
                "POST",
                write.entity.lower(),
                params={"requestid": request_id(write.item.idempotency_key)},
                json_body=write.body,
            )
        except RecordValidation as exc:
            return PushOutcome(write.item.transaction_id, rejection=str(exc))
        return self._stored(write, answer.get(write.entity))

    def _create_batch(self, writes: list[_Write]) -> dict[str, PushOutcome]:
        """One batch call; each item's answer (record or Fault) is that item's outcome. The
        batch's requestid comes from its items' keys, so a replayed batch is not written
        twice; an item that met a system fault is tried again on its own."""
        body = {
            "BatchItemRequest": [
                {"bId": str(index), "operation": "create", write.entity: write.body}
                for index, write in enumerate(writes, start=1)
            ]
        }
        key = request_id(*(w.item.idempotency_key for w in writes), length=BATCH_REQUEST_ID)
        try:
            answer = self._call("POST", "batch", params={"requestid": key}, json_body=body)
        except RecordValidation as exc:
            return {
                w.item.transaction_id: PushOutcome(w.item.transaction_id, rejection=str(exc))
                for w in writes
            }
        by_id = {
            str(entry.get("bId")): entry
            for entry in answer.get("BatchItemResponse") or []
            if isinstance(entry, dict)
        }
        outcomes: dict[str, PushOutcome] = {}
        for index, write in enumerate(writes, start=1):
            entry = by_id.get(str(index))
            if entry is None:
                outcomes[write.item.transaction_id] = self._create(write)
                continue
            if "Fault" in entry:
                error = classify(200, {"Fault": entry["Fault"]}, None)
                if isinstance(error, RecordValidation):
                    outcomes[write.item.transaction_id] = PushOutcome(
                        write.item.transaction_id, rejection=str(error)
                    )
                else:
                    outcomes[write.item.transaction_id] = self._create(write)
                continue
            outcomes[write.item.transaction_id] = self._stored(write, entry.get(write.entity))
        return outcomes

    def _sync_token(self, entity: str, record_id: str) -> str:
        return str(self._get(f"{entity.lower()}/{record_id}", entity).get("SyncToken") or "0")

    def _update(self, item: PushItem, entity: str, body: Json) -> PushOutcome:
        assert item.existing is not None
        existing = item.existing
        if existing.record_type != entity:
            return PushOutcome(
                item.transaction_id,
                rejection=f"The transaction was written as a QuickBooks {existing.record_type}; "
                f"the change would make it a {entity}, which QuickBooks cannot convert.",
            )
        token = existing.version or self._sync_token(entity, existing.record_id)
        write = _Write(item, entity, body)
        for attempt in range(2):
            try:
                answer = self._call(
                    "POST",
                    entity.lower(),
                    # One requestid per (write, SyncToken): a retry after a stale token is a
                    # new request, a replay of the same write is not.
                    params={"requestid": request_id(item.idempotency_key, token)},
                    json_body={**body, "Id": existing.record_id, "SyncToken": token},
                )
            except RecordValidation as exc:
                stale = isinstance(exc, Refused) and STALE_OBJECT in exc.codes
                if stale and attempt == 0:
                    token = self._sync_token(entity, existing.record_id)
                    continue
                if stale:
                    return PushOutcome(
                        item.transaction_id,
                        rejection=f"The {entity} {existing.record_id} was changed in QuickBooks "
                        f"while spendsync updated it, twice; try the update again. ({exc})",
                    )
                return PushOutcome(item.transaction_id, rejection=str(exc))
            return self._stored(write, answer.get(entity))
        raise AssertionError("unreachable")

    def save_contact(
        self, data_type: ReferenceDataType, contact: LedgerContact, existing_id: str | None
    ) -> LedgerContact:
        entity = "Customer" if data_type is ReferenceDataType.CUSTOMERS else "Vendor"
        body = mapping.contact_to_qbo(contact)
        if existing_id:
            if existing_id.startswith(mapping.EMPLOYEE_PREFIX):
                raise NotSupported("Employees are changed in QuickBooks Payroll, not here.")
            body = {
                **body,
                "Id": existing_id,
                "SyncToken": self._sync_token(entity, existing_id),
                "sparse": True,
            }
        # One requestid per push: the retries of this call are not written twice, while a
        # second push of the same contact is a new request (QBO judges duplicates itself).
        key = uuid.uuid4().hex
        answer = self._call("POST", entity.lower(), params={"requestid": key}, json_body=body)
        return mapping.contact_from_qbo(answer[entity], entity)

    def save_account(self, account: NewAccount) -> LedgerAccount:
        try:
            body = mapping.account_to_qbo(account)
        except mapping.Unmappable as exc:
            raise RecordValidation(str(exc)) from exc
        key = uuid.uuid4().hex  # as for contacts: one per push
        answer = self._call("POST", "account", params={"requestid": key}, json_body=body)
        # A write naming the new account reads the accounts again (settings_cache).
        return mapping.account_from_qbo(answer["Account"], self.get_company_info().base_currency)

    def attach(
        self, record: PlatformRecord, file_name: str, content_type: str, content: bytes
    ) -> str:
        """A multipart upload: the Attachable's metadata (linked to the record) + the file.
        QBO refuses application/octet-stream, so the type is guessed from the name then."""
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(file_name)[0] or "application/pdf"
        metadata = {
            "AttachableRef": [
                {
                    "EntityRef": {"type": record.record_type, "value": record.record_id},
                    "IncludeOnSend": False,
                }
            ],
            "FileName": file_name,
            "ContentType": content_type,
        }
        digest = hashlib.sha256(content).hexdigest()
        key = request_id("attach", record.record_type, record.record_id, file_name, digest)
        files = [
            (
                "file_metadata_01",
                ("metadata.json", json.dumps(metadata).encode(), "application/json"),
            ),
            ("file_content_01", (file_name, content, content_type)),
        ]
        try:
            answer = self._call("POST", "upload", params={"requestid": key}, files=files)
        except RecordValidation as exc:
            raise NotSupported(f"QuickBooks refused the attachment: {exc}") from exc
        for entry in answer.get("AttachableResponse") or []:
            if "Fault" in entry:
                raise NotSupported(
                    f"QuickBooks refused the attachment: {mapping.fault_message(entry)}"
                )
            attachable = entry.get("Attachable") or {}
            if attachable.get("Id"):
                return str(attachable["Id"])
        raise Transient("QuickBooks did not confirm the attachment.")


def open_qbo(connection: Connection, context: LedgerContext) -> QboLedger:
    return QboLedger(connection, context)
