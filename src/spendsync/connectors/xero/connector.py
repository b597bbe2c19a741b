"""The Xero connector: HTTP over httpx, one idempotency key per write, errors classified once.

429 → Transient(Retry-After)           5xx, timeouts → Transient
401 → refresh the token once, retry; again → AuthFailure (the connection needs re-linking)
403 → AuthFailure (the organisation revoked access)
400 ValidationException → the elements' own messages, per record (the batch goes on)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

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
from spendsync.connectors.errors import AuthFailure, NotSupported, RecordValidation, Transient
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
from spendsync.connectors.xero import auth, mapping
from spendsync.ledger.model import (
    Expense,
    Reimbursable,
    Transfer,
    referenced_accounts,
    referenced_tracking_options,
)
from spendsync.ledger.posting import (
    UnbalancedPlan,
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
)
from spendsync.ledger.validation import InvalidTransaction

T = TypeVar("T")

# The Codat platform key, as metrics label it.
PLATFORM_KEY = "gbol"
PAGE_SIZE = 100
# Which Xero endpoint holds each record type we write (for updates and attachments).
_ENDPOINTS = {
    "BankTransaction": "BankTransactions",
    "BankTransfer": "BankTransfers",
    "Invoice": "Invoices",
    "ManualJournal": "ManualJournals",
}


def _batch_key(items: Sequence[PushItem]) -> str:
    joined = "|".join(item.idempotency_key for item in items)
    return hashlib.sha256(joined.encode()).hexdigest()[:64]


class XeroLedger:
    """One linked Xero organisation."""

    max_batch_size = 50

    def __init__(self, connection: Connection, context: LedgerContext) -> None:
        app = auth.xero_app(context.settings)
        if app is None:
            raise NotSupported(
                "Xero is not configured on this server: set SPENDSYNC_XERO_CLIENT_ID and "
                "SPENDSYNC_XERO_CLIENT_SECRET."
            )
        self._app = app
        self._http = platform_client(app.api_url, context.settings.platform_timeout_seconds)
        settings = context.settings
        limits = Limits(
            calls=settings.xero_calls_per_minute,
            period_seconds=settings.xero_minute_seconds,
            calls_per_day=settings.xero_calls_per_day,
            concurrent=settings.xero_max_concurrent_calls,
        )
        throttle = throttle_for("xero", limits, context)
        self.round_calls = limits.round_calls()
        self._calls = PlatformCalls(
            PLATFORM_KEY,
            "Xero",
            self._http,
            throttle,
            CredentialStore(context, connection.id),
            lambda refresh_token: auth.refresh(app, refresh_token),
            "tenant_id",
        )
        self.max_concurrent_pushes = settings.xero_max_concurrent_calls
        self._connection_id = connection.id
        self._cache_seconds = settings.ledger_settings_cache_seconds
        self._books_key: str | None = None

    def close(self) -> None:
        """Nothing to release: the HTTP client is the process's (`platform_client`), kept for
        the next ledger opened on this platform."""

    # -- HTTP ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One call for this organisation (`PlatformCalls`: token, throttle, short retries).
        Writes are safe to repeat: each carries its Idempotency-Key."""
        return self._calls.call(
            method,
            lambda tenant: (path, {"xero-tenant-id": tenant, **(headers or {})}),
            self._classify,
            params=params,
            json=json,
            content=content,
        )

    @staticmethod
    def _classify(response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status == 429:
            retry_after = float(response.headers.get("Retry-After", "60") or 60)
            problem = response.headers.get("X-Rate-Limit-Problem", "minute")
            raise Transient(f"Xero rate limit reached ({problem}).", retry_after=retry_after)
        if status == 401:
            raise AuthFailure("Xero refused the access token after a refresh.")
        if status == 403:
            raise AuthFailure(
                "Xero refused access to the organisation (the connection was revoked)."
            )
        if status >= 500:
            raise Transient(f"Xero answered {status}.")
        return response

    # -- reading ----------------------------------------------------------------------

    def _get(
        self, path: str, key: str, *, since: datetime | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        headers = {"If-Modified-Since": since.isoformat()} if since else None
        response = self._request("GET", path, params=params or None, headers=headers)
        if response.status_code == 304:
            return []
        if response.status_code >= 400:
            raise Transient(f"Xero answered {response.status_code} reading {path}.")
        found: list[dict[str, Any]] = response.json().get(key) or []
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

    def get_company_info(self) -> CompanyInformation:
        """The organisation (its base currency), read once per `ledger_settings_cache_seconds`."""

        def load() -> CompanyInformation:
            organisations = self._get("/Organisation", "Organisations")
            if not organisations:
                raise NotSupported("Xero returned no organisation for this connection.")
            return mapping.company_info_from_xero(organisations[0])

        return self._setting("organisation", load)

    def _contacts(self, since: datetime | None) -> list[dict[str, Any]]:
        contacts: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._get(
                "/Contacts",
                "Contacts",
                since=since,
                page=page,
                pageSize=PAGE_SIZE,
                includeArchived="true",
            )
            contacts += batch
            if len(batch) < PAGE_SIZE:
                return contacts
            page += 1

    def read(self, data_type: ReferenceDataType, modified_since: datetime | None) -> ReferenceRead:
        records: list[LedgerRecord] = []
        complete = True
        if data_type is ReferenceDataType.CHART_OF_ACCOUNTS:
            base = self.get_company_info().base_currency
            raw_accounts = self._get("/Accounts", "Accounts")
            for raw in raw_accounts:
                account = mapping.account_from_xero(raw, base)
                if account is not None:
                    records.append(account)
            # Every account: what the first write would read for their codes (_codes).
            remember_setting(self._books(), "codes", _codes_of(raw_accounts), self._cache_seconds)
        elif data_type is ReferenceDataType.TAX_RATES:
            records = [
                r
                for raw in self._get("/TaxRates", "TaxRates")
                if (r := mapping.tax_rate_from_xero(raw))
            ]
        elif data_type is ReferenceDataType.TRACKING_CATEGORIES:
            raw_categories = self._get(
                "/TrackingCategories", "TrackingCategories", includeArchived="true"
            )
            for raw in raw_categories:
                records += mapping.tracking_from_xero(raw)
            # The active options: what the first write would read (_options).
            options = _active_options(raw_categories)
            remember_setting(self._books(), "tracking", options, self._cache_seconds)
        else:
            # Contacts are read incrementally (If-Modified-Since): only changes come back.
            complete = modified_since is None
            wanted_supplier = data_type is ReferenceDataType.SUPPLIERS
            for raw in self._contacts(modified_since):
                contact = mapping.contact_from_xero(raw)
                # A contact with no history yet can serve as either.
                untyped = not contact.is_supplier and not contact.is_customer
                if untyped or (contact.is_supplier if wanted_supplier else contact.is_customer):
                    records.append(contact)
        return ReferenceRead(data_type, records, complete=complete)

    def _options(self, document: LedgerDocument) -> dict[str, tuple[str, str]]:
        """Tracking option id → (category id, option id), holding every option `document`
        names (read again when one is new)."""

        def load() -> dict[str, tuple[str, str]]:
            return _active_options(self._get("/TrackingCategories", "TrackingCategories"))

        return self._setting("tracking", load, referenced_tracking_options(document))

    def _codes(self, document: LedgerDocument) -> dict[str, str]:
        """Account id → account code, holding every account `document` names."""

        def load() -> dict[str, str]:
            return _codes_of(self._get("/Accounts", "Accounts"))

        return self._setting("codes", load, referenced_accounts(document))

    # -- writing ----------------------------------------------------------------------

    def _write(
        self, method: str, path: str, key: str, bodies: list[dict[str, Any]], idempotency_key: str
    ) -> list[dict[str, Any] | str]:
        """Write records in one call; each answer is the stored record or Xero's reason."""
        response = self._request(
            method,
            path,
            params={"summarizeErrors": "false"},
            json={key: bodies},
            headers={"Idempotency-Key": idempotency_key},
        )
        if response.status_code == 400:
            payload = response.json()
            elements = payload.get("Elements") or []
            if len(elements) == len(bodies):
                return [mapping.validation_messages(e) for e in elements]
            message = payload.get("Message") or payload.get("Detail") or response.text[:500]
            return [f"Xero refused the request: {message}"] * len(bodies)
        if response.status_code >= 400:
            return [f"Xero answered {response.status_code}: {response.text[:500]}"] * len(bodies)
        stored: list[dict[str, Any]] = response.json().get(key) or []
        results: list[dict[str, Any] | str] = []
        for index in range(len(bodies)):
            record = stored[index] if index < len(stored) else None
            if record is None:
                results.append("Xero returned no record for this transaction.")
            elif record.get("StatusAttributeString") == "ERROR" or record.get("HasErrors"):
                results.append(mapping.validation_messages(record))
            else:
                results.append(record)
        return results

    def _body(self, item: PushItem) -> tuple[str, str, dict[str, Any]]:
        """(endpoint, record type, body) for one item."""
        document = item.document
        base = self.get_company_info().base_currency
        try:
            if isinstance(document, Expense):
                plan = plan_expense(document, base)
                return (
                    "BankTransactions",
                    "BankTransaction",
                    mapping.bank_transaction(plan, self._options(document)),
                )
            if isinstance(document, Transfer):
                plan = plan_transfer(document, base)
                return "BankTransfers", "BankTransfer", mapping.bank_transfer(plan)
            if isinstance(document, Reimbursable):
                plan = plan_reimbursable(document, base)
                return "Invoices", "Invoice", mapping.bill(plan, self._options(document))
            plan = plan_adjustment(document, base)
        except (InvalidTransaction, UnbalancedPlan) as exc:
            raise NotSupported(f"The transaction cannot be posted: {exc}") from exc
        return (
            "ManualJournals",
            "ManualJournal",
            mapping.manual_journal(plan, self._codes(document), self._options(document)),
        )

    def push(self, items: Sequence[PushItem]) -> list[PushOutcome]:
        outcomes: dict[str, PushOutcome] = {}
        creates: dict[str, list[tuple[PushItem, str, dict[str, Any]]]] = {}
        for item in items:
            try:
                endpoint, record_type, body = self._body(item)
            except NotSupported as exc:
                outcomes[item.transaction_id] = PushOutcome(item.transaction_id, rejection=str(exc))
                continue
            if item.operation is PushOperation.UPDATE and item.existing is not None:
                outcomes[item.transaction_id] = self._update(item, endpoint, record_type, body)
            else:
                creates.setdefault(endpoint, []).append((item, record_type, body))
        for endpoint, group in creates.items():
            results = self._write(
                "PUT",
                f"/{endpoint}",
                endpoint,
                [body for _, _, body in group],
                _batch_key([i for i, _, _ in group]),
            )
            for (item, record_type, _), result in zip(group, results, strict=True):
                outcomes[item.transaction_id] = self._outcome(item, record_type, result)
        return [outcomes[item.transaction_id] for item in items]

    def _update(
        self, item: PushItem, endpoint: str, record_type: str, body: dict[str, Any]
    ) -> PushOutcome:
        assert item.existing is not None
        if record_type == "BankTransfer":
            return PushOutcome(
                item.transaction_id, rejection="Xero bank transfers cannot be changed."
            )
        id_field = f"{record_type}ID"
        [result] = self._write(
            "POST",
            f"/{endpoint}/{item.existing.record_id}",
            endpoint,
            [{**body, id_field: item.existing.record_id}],
            item.idempotency_key,
        )
        return self._outcome(item, record_type, result)

    @staticmethod
    def _outcome(item: PushItem, record_type: str, result: dict[str, Any] | str) -> PushOutcome:
        if isinstance(result, str):
            return PushOutcome(item.transaction_id, rejection=result)
        record_id = result.get(f"{record_type}ID")
        if not record_id:
            return PushOutcome(
                item.transaction_id, rejection="Xero returned the record without an id."
            )
        return PushOutcome(
            item.transaction_id,
            record=PlatformRecord(record_type, str(record_id), result.get("UpdatedDateUTC")),
        )

    def save_contact(
        self, data_type: ReferenceDataType, contact: LedgerContact, existing_id: str | None
    ) -> LedgerContact:
        body = mapping.contact_to_xero(contact)
        key = hashlib.sha256(f"{existing_id}:{sorted(body.items())}".encode()).hexdigest()[:64]
        if existing_id:
            path, method, body = (
                f"/Contacts/{existing_id}",
                "POST",
                {**body, "ContactID": existing_id},
            )
        else:
            path, method = "/Contacts", "PUT"
        [result] = self._write(method, path, "Contacts", [body], key)
        if isinstance(result, str):
            raise RecordValidation(result)
        return mapping.contact_from_xero(result)

    def save_account(self, account: NewAccount) -> LedgerAccount:
        body = mapping.account_to_xero(account)
        key = hashlib.sha256(f"account:{sorted(body.items())}".encode()).hexdigest()[:64]
        [result] = self._write("PUT", "/Accounts", "Accounts", [body], key)
        if isinstance(result, str):
            raise RecordValidation(result)
        created = mapping.account_from_xero(result, self.get_company_info().base_currency)
        if created is None:
            raise RecordValidation("Xero did not keep the account.")
        return created

    def attach(
        self, record: PlatformRecord, file_name: str, content_type: str, content: bytes
    ) -> str:
        endpoint = _ENDPOINTS.get(record.record_type)
        if endpoint is None:
            raise NotSupported(f"Xero takes no attachments on {record.record_type} records.")
        key = hashlib.sha256(record.record_id.encode() + file_name.encode() + content).hexdigest()[
            :64
        ]
        response = self._request(
            "PUT",
            f"/{endpoint}/{record.record_id}/Attachments/{quote(file_name)}",
            content=content,
            headers={"Content-Type": content_type, "Idempotency-Key": key},
        )
        if response.status_code >= 400:
            payload = (
                response.json()
                if response.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            raise NotSupported(
                f"Xero refused the attachment: {payload.get('Message') or response.text[:300]}"
            )
        attachments = response.json().get("Attachments") or []
        if not attachments:
            raise Transient("Xero did not confirm the attachment.")
        return str(attachments[0]["AttachmentID"])


def open_xero(connection: Connection, context: LedgerContext) -> XeroLedger:
    return XeroLedger(connection, context)


def _codes_of(raw_accounts: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Account id → account code."""
    return {str(raw["AccountID"]): str(raw.get("Code") or "") for raw in raw_accounts}


def _active_options(raw_categories: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Tracking option id → (category id, option id), of the active options of active
    categories (what Xero lists without `includeArchived`)."""
    return {
        str(option["TrackingOptionID"]): (
            str(raw["TrackingCategoryID"]),
            str(option["TrackingOptionID"]),
        )
        for raw in raw_categories
        if str(raw.get("Status") or "ACTIVE") == "ACTIVE"
        for option in raw.get("Options") or []
        if str(option.get("Status") or "ACTIVE") == "ACTIVE"
    }
