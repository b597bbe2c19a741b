"""The in-memory backend: one :class:`Tenant` per Xero organisation, and the rules Xero applies.

Nothing in here knows about HTTP. Writes follow Xero's batch semantics: every element of a
request is validated; with ``summarizeErrors`` on (Xero's server-side default) one failing
element rejects the whole batch and nothing is saved, with it off the valid elements are saved
and the failing ones come back with ``StatusAttributeString: "ERROR"``.

Thread-safety: each tenant has its own re-entrant lock; the HTTP layer holds it for the whole
of a write (idempotency check, validation, commit, storing the replayable response).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from spendsync.sandboxes.xero import messages
from spendsync.sandboxes.xero.dates import date_string, long_date, ms_date, parse_date
from spendsync.sandboxes.xero.errors import NotFound, PostDataInvalid, ValidationFailed
from spendsync.sandboxes.xero.models import (
    ACCOUNT_CLASS,
    CONTACT_PASSTHROUGH,
    UNIT,
    ZERO_ID,
    Account,
    Attachment,
    Contact,
    Currency,
    Document,
    Organisation,
    TaxRate,
    TrackingCategory,
    dated,
    money,
    new_id,
    round_money,
)
from spendsync.sandboxes.xero.query import parse_where, sort_records

Json = dict[str, Any]
WriteMode = Literal["create", "upsert", "update"]
DocumentKind = Literal["BankTransactions", "BankTransfers", "Invoices", "ManualJournals"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    "BankTransactions",
    "BankTransfers",
    "Invoices",
    "ManualJournals",
)
ID_FIELD: dict[str, str] = {
    "BankTransactions": "BankTransactionID",
    "BankTransfers": "BankTransferID",
    "Invoices": "InvoiceID",
    "ManualJournals": "ManualJournalID",
    "Contacts": "ContactID",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

# Units of each currency per US dollar. Xero uses the XE.com day rate when a client sends no
# CurrencyRate; the sandbox derives a fixed rate from this table so results are reproducible.
USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "GBP": Decimal("0.79"),
    "EUR": Decimal("0.92"),
    "AUD": Decimal("1.52"),
    "NZD": Decimal("1.65"),
    "CAD": Decimal("1.36"),
    "JPY": Decimal("151.20"),
    "CHF": Decimal("0.88"),
    "SGD": Decimal("1.34"),
    "ZAR": Decimal("18.40"),
}

CURRENCY_NAMES: dict[str, str] = {
    "USD": "United States Dollar",
    "GBP": "British Pound",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "CAD": "Canadian Dollar",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
    "SGD": "Singapore Dollar",
    "ZAR": "South African Rand",
}


def xe_rate(base: str, foreign: str) -> Decimal:
    """Foreign units per one unit of base currency (Xero's CurrencyRate convention)."""
    base_rate = USD_RATES.get(base, Decimal("1"))
    foreign_rate = USD_RATES.get(foreign, Decimal("1"))
    return (foreign_rate / base_rate).quantize(Decimal("0.000001"))


@dataclass
class StoredResponse:
    """A write's response kept for ``Idempotency-Key`` replays."""

    fingerprint: str
    status_code: int
    body: bytes
    media_type: str
    stored_at: float


@dataclass
class Tenant:
    """One organisation's books."""

    organisation: Organisation
    accounts: dict[str, Account] = field(default_factory=dict)
    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    tracking: dict[str, TrackingCategory] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    currencies: dict[str, Currency] = field(default_factory=dict)
    documents: dict[str, dict[str, Document]] = field(
        default_factory=lambda: {kind: {} for kind in DOCUMENT_KINDS}
    )
    idempotency: dict[str, StoredResponse] = field(default_factory=dict)
    invoice_counter: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def tenant_id(self) -> str:
        return self.organisation.organisation_id

    # --- lookups ------------------------------------------------------------------------
    def account_by_code(self, code: str) -> Account | None:
        wanted = code.strip().lower()
        return next(
            (a for a in self.accounts.values() if a.code and a.code.lower() == wanted), None
        )

    def contact_by_name(self, name: str) -> Contact | None:
        wanted = name.strip().lower()
        matches = [c for c in self.contacts.values() if c.name.lower() == wanted]
        active = [c for c in matches if c.status == "ACTIVE"]
        candidates = active or matches
        return candidates[0] if candidates else None

    def contact_by_number(self, number: str) -> Contact | None:
        return next((c for c in self.contacts.values() if c.contact_number == number.strip()), None)

    def add_account(self, account: Account) -> Account:
        self.accounts[account.account_id] = account
        return account

    def add_contact(self, contact: Contact) -> Contact:
        self.contacts[contact.contact_id] = contact
        return contact


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListQuery:
    where: str | None = None
    order: str | None = None
    page: int | None = None
    page_size: int = 100
    ids: tuple[str, ...] = ()
    include_archived: bool = False
    modified_since: datetime | None = None


@dataclass(frozen=True)
class ListResult:
    records: list[Json]
    pagination: Json | None = None


def select(
    records: Iterable[tuple[datetime | None, Json]], query: ListQuery, id_field: str | None
) -> ListResult:
    """Apply If-Modified-Since, IDs, where, order and paging, in Xero's order."""
    rows = [
        record
        for updated, record in records
        if query.modified_since is None or (updated is not None and updated > query.modified_since)
    ]
    if query.ids and id_field:
        wanted = {identifier.lower() for identifier in query.ids}
        rows = [row for row in rows if str(row.get(id_field, "")).lower() in wanted]
    fields = set().union(*(row.keys() for row in rows)) if rows else set()
    if query.where:
        predicate = parse_where(query.where, fields)
        rows = [row for row in rows if predicate(row)]
    if query.order:
        rows = sort_records(rows, query.order, fields)
    if query.page is None:
        return ListResult(rows)
    size = max(1, min(query.page_size, 1000))
    page = max(query.page, 1)
    total = len(rows)
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": (total + size - 1) // size,
        "itemCount": total,
    }
    return ListResult(rows[(page - 1) * size : page * size], pagination)


def list_accounts(tenant: Tenant, query: ListQuery) -> ListResult:
    return select(((a.updated, a.to_xero()) for a in tenant.accounts.values()), query, "AccountID")


def get_account(tenant: Tenant, account_id: str) -> Json:
    account = tenant.accounts.get(account_id.lower())
    if account is None:
        raise NotFound(account_id)
    return account.to_xero()


def list_tax_rates(tenant: Tenant, query: ListQuery, tax_type: str | None = None) -> ListResult:
    rates = [r for r in tenant.tax_rates.values() if tax_type is None or r.tax_type == tax_type]
    if tax_type is not None and not rates:
        raise NotFound(tax_type)
    return select(((None, r.to_xero()) for r in rates), query, None)


def list_tracking_categories(tenant: Tenant, query: ListQuery) -> ListResult:
    categories = [
        c.to_xero(query.include_archived)
        for c in tenant.tracking.values()
        if query.include_archived or c.status == "ACTIVE"
    ]
    return select(((None, c) for c in categories), query, "TrackingCategoryID")


def list_contacts(tenant: Tenant, query: ListQuery) -> ListResult:
    contacts = [
        (c.updated, c.to_xero())
        for c in tenant.contacts.values()
        if query.include_archived or c.status != "ARCHIVED" or query.ids
    ]
    return select(contacts, query, "ContactID")


def get_contact(tenant: Tenant, contact_id: str) -> Json:
    contact = tenant.contacts.get(contact_id.lower())
    if contact is None:
        contact = tenant.contact_by_number(contact_id)
    if contact is None:
        raise NotFound(contact_id)
    return contact.to_xero()


def list_currencies(tenant: Tenant, query: ListQuery) -> ListResult:
    return select(((None, c.to_xero()) for c in tenant.currencies.values()), query, None)


def _timestamp_field(kind: str) -> str:
    return "CreatedDateUTC" if kind == "BankTransfers" else "UpdatedDateUTC"


def render_document(kind: str, document: Document) -> Json:
    body = document.to_xero(_timestamp_field(kind))
    if kind == "Invoices":
        body["UpdatedDateUTCString"] = document.updated.strftime("%Y-%m-%dT%H:%M:%S")
    if kind == "BankTransfers":
        body["CreatedDateUTCString"] = document.updated.strftime("%Y-%m-%d %H:%M:%S")
    return body


def _store(
    tenant: Tenant,
    kind: str,
    existing: Document | None,
    identifier: str,
    body: Json,
    day: date,
    now: datetime,
) -> Json:
    """Keep a validated document (new, or replacing `existing`) and render it as Xero does."""
    document = existing or Document(identifier, {}, now)
    document.data = body
    document.updated = now
    document.document_date = day
    tenant.documents[kind][identifier] = document
    return render_document(kind, document)


def list_documents(tenant: Tenant, kind: DocumentKind, query: ListQuery) -> ListResult:
    if kind == "BankTransfers":
        query = replace(query, page=None)  # Xero does not page bank transfers
    records = [(d.updated, render_document(kind, d)) for d in tenant.documents[kind].values()]
    result = select(records, query, ID_FIELD[kind])
    if kind == "Invoices" and query.page is None:
        # Xero leaves line items out of multi-invoice reads unless the client pages.
        for record in result.records:
            record.pop("LineItems", None)
    return result


def get_document(tenant: Tenant, kind: DocumentKind, document_id: str) -> Json:
    return render_document(kind, find_document(tenant, kind, document_id))


def find_document(tenant: Tenant, kind: DocumentKind, document_id: str) -> Document:
    document = tenant.documents[kind].get(document_id.lower())
    if document is None and kind == "Invoices":
        document = next(
            (
                d
                for d in tenant.documents[kind].values()
                if d.data.get("InvoiceNumber") == document_id
            ),
            None,
        )
    if document is None:
        raise NotFound(document_id)
    return document


# --------------------------------------------------------------------------------------------
# Shared validation helpers
# --------------------------------------------------------------------------------------------
class Problems:
    """The ValidationErrors collected for one element."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def as_json(self) -> list[Json]:
        return [{"Message": message} for message in self.messages]


def _decimal(value: Any, name: str, problems: Problems) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems.add(f"{name} must be a number.")
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        problems.add(f"{name} must be a number.")
        return None
    if not result.is_finite():
        problems.add(f"{name} must be a number.")
        return None
    return result


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _resolve_date(
    tenant: Tenant, value: Any, default: date, problems: Problems, *, check_lock: bool = True
) -> date:
    day = default
    if value not in (None, ""):
        try:
            day = parse_date(value)
        except ValueError:
            problems.add(messages.date_invalid(value))
            return default
    lock = tenant.organisation.lock_date
    if check_lock and lock is not None and day <= lock:
        problems.add(messages.period_locked(long_date(lock)))
    return day


def _resolve_account_ref(tenant: Tenant, ref: Json) -> tuple[Account | None, str]:
    account_id = _text(ref.get("AccountID"))
    code = _text(ref.get("Code") if "Code" in ref else ref.get("AccountCode"))
    if account_id:
        return tenant.accounts.get(account_id.lower()), account_id
    if code:
        return tenant.account_by_code(code), code
    return None, ""


def _resolve_bank_account(tenant: Tenant, raw: Any, problems: Problems) -> Account | None:
    if not isinstance(raw, dict) or not (_text(raw.get("AccountID")) or _text(raw.get("Code"))):
        problems.add(messages.BANK_ACCOUNT_REQUIRED)
        return None
    account, reference = _resolve_account_ref(tenant, raw)
    if account is None:
        problems.add(messages.bank_account_invalid(reference))
        return None
    if account.type != "BANK":
        problems.add(messages.bank_account_not_bank(account.reference))
        return None
    if account.status != "ACTIVE":
        problems.add(messages.bank_account_archived(account.reference))
        return None
    return account


@dataclass
class ContactPlan:
    """A contact reference resolved at validation time, created on commit when it is new."""

    existing: Contact | None = None
    new_name: str | None = None
    new_number: str | None = None

    def materialise(self, tenant: Tenant, now: datetime) -> Contact:
        if self.existing is not None:
            return self.existing
        assert self.new_name is not None
        # An earlier element of the same batch may already have created it.
        found = tenant.contact_by_name(self.new_name)
        if found is not None:
            self.existing = found
            return found
        contact = Contact(
            contact_id=new_id(),
            name=self.new_name,
            updated=now,
            contact_number=self.new_number,
        )
        self.existing = tenant.add_contact(contact)
        return contact


def _resolve_contact(tenant: Tenant, raw: Any, problems: Problems) -> ContactPlan | None:
    """Xero identifies a contact by ContactID, ContactNumber or Name; a new Name creates one."""
    if not isinstance(raw, dict):
        problems.add(messages.CONTACT_IDENTIFIER)
        return None
    contact_id = _text(raw.get("ContactID"))
    number = _text(raw.get("ContactNumber"))
    name = _text(raw.get("Name"))
    if not (contact_id or number or name):
        problems.add(messages.CONTACT_IDENTIFIER)
        return None
    contact: Contact | None = None
    if contact_id:
        contact = tenant.contacts.get(contact_id.lower())
        if contact is None:
            problems.add(messages.contact_not_found(contact_id))
            return None
    elif number:
        contact = tenant.contact_by_number(number)
        if contact is None and name:
            contact = tenant.contact_by_name(name)
        if contact is None and not name:
            problems.add(messages.contact_not_found(number))
            return None
    elif name:
        contact = tenant.contact_by_name(name)
    if contact is None:
        return ContactPlan(new_name=name, new_number=number)
    if contact.status == "ARCHIVED":
        problems.add(messages.contact_archived(contact.name))
        return None
    return ContactPlan(existing=contact)


def _resolve_tracking(tenant: Tenant, raw: Any, problems: Problems) -> list[Json]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        problems.add(messages.TRACKING_MAX)
        return []
    if len(raw) > 2:
        problems.add(messages.TRACKING_MAX)
        return []
    resolved: list[Json] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            continue
        category_ref = _text(item.get("TrackingCategoryID")) or _text(item.get("Name")) or ""
        option_ref = _text(item.get("TrackingOptionID")) or _text(item.get("Option")) or ""
        category = next(
            (
                c
                for c in tenant.tracking.values()
                if c.status == "ACTIVE" and category_ref.lower() in (c.category_id, c.name.lower())
            ),
            None,
        )
        if category is None:
            problems.add(messages.tracking_category_invalid(category_ref))
            continue
        if category.category_id in seen:
            problems.add(messages.TRACKING_DUPLICATE)
            continue
        seen.add(category.category_id)
        option = next(
            (
                o
                for o in category.options
                if o.status == "ACTIVE" and option_ref.lower() in (o.option_id, o.name.lower())
            ),
            None,
        )
        if option is None:
            problems.add(messages.tracking_option_invalid(option_ref, category.name))
            continue
        resolved.append(
            {
                "Name": category.name,
                "Option": option.name,
                "TrackingCategoryID": category.category_id,
                "TrackingOptionID": option.option_id,
            }
        )
    return resolved


def _line_amount_types(raw: Any, default: str, problems: Problems) -> str:
    if raw in (None, ""):
        return default
    for allowed in ("Exclusive", "Inclusive", "NoTax"):
        if str(raw).lower() == allowed.lower():
            return allowed
    problems.add(messages.line_amount_types_invalid(raw))
    return default


@dataclass
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal

    def as_json(self) -> Json:
        return {
            "SubTotal": money(self.sub_total),
            "TotalTax": money(self.total_tax),
            "Total": money(self.total),
        }


def _tax_for(
    tenant: Tenant, raw_type: Any, account: Account | None, amount_types: str, problems: Problems
) -> TaxRate | None:
    if amount_types == "NoTax":
        return tenant.tax_rates.get("NONE")
    tax_type = _text(raw_type) or (account.tax_type if account else None) or "NONE"
    rate = tenant.tax_rates.get(tax_type)
    if rate is None or rate.status != "ACTIVE":
        problems.add(messages.tax_type_invalid(tax_type))
        return None
    if account is not None and account.account_class not in rate.applies_to:
        problems.add(messages.tax_type_for_account(tax_type, account.reference))
        return None
    return rate


def _price_lines(
    tenant: Tenant,
    raw_lines: Any,
    amount_types: str,
    problems: Problems,
    *,
    require_account: bool,
    allow_discount: bool = False,
) -> tuple[list[Json], Totals]:
    """Validate line items and do Xero's arithmetic (amounts, tax, totals)."""
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.add(messages.LINE_ITEMS_REQUIRED)
        return [], Totals(Decimal(0), Decimal(0), Decimal(0))
    lines: list[Json] = []
    amounts = Decimal(0)
    taxes = Decimal(0)
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise PostDataInvalid("LineItems must be a list of line item objects")
        line: Json = {"LineItemID": _text(raw.get("LineItemID")) or new_id()}
        description = _text(raw.get("Description"))
        if description is not None:
            line["Description"] = description
        account: Account | None = None
        if _text(raw.get("AccountID")) or _text(raw.get("AccountCode")):
            account, reference = _resolve_account_ref(tenant, raw)
            if account is None:
                problems.add(messages.account_code_invalid(reference))
            elif account.status != "ACTIVE":
                problems.add(messages.account_archived(account.reference))
                account = None
            else:
                line["AccountCode"] = account.code
                line["AccountID"] = account.account_id
        elif require_account:
            problems.add(messages.LINE_ACCOUNT_REQUIRED)
        if not allow_discount and (raw.get("DiscountRate") or raw.get("DiscountAmount")):
            problems.add(messages.DISCOUNT_ACCPAY)
        quantity = _decimal(raw.get("Quantity"), "Quantity", problems)
        unit = _decimal(raw.get("UnitAmount"), "UnitAmount", problems)
        amount = _decimal(raw.get("LineAmount"), "LineAmount", problems)
        if amount is None and unit is None:
            if description is None:
                problems.add(messages.LINE_DESCRIPTION_REQUIRED)
            amount = Decimal(0)
        elif amount is None:
            assert unit is not None
            quantity = Decimal(1) if quantity is None else quantity
            amount = round_money(quantity * unit)
        elif unit is None:
            quantity = Decimal(1) if quantity in (None, Decimal(0)) else quantity
            assert quantity is not None
            unit = (amount / quantity).quantize(UNIT)
        elif quantity is None:
            quantity = (amount / unit).quantize(UNIT) if unit else Decimal(1)
        else:
            expected = round_money(quantity * unit)
            if round_money(amount) != expected:
                problems.add(messages.line_amount_mismatch(str(amount), str(expected)))
        amount = round_money(amount)
        if quantity is not None:
            line["Quantity"] = float(quantity.quantize(UNIT))
        if unit is not None:
            line["UnitAmount"] = float(unit.quantize(UNIT))
        rate = _tax_for(tenant, raw.get("TaxType"), account, amount_types, problems)
        given_tax = _decimal(raw.get("TaxAmount"), "TaxAmount", problems)
        tax = Decimal(0)
        if rate is not None and amount_types != "NoTax":
            if given_tax is not None:
                tax = round_money(given_tax)  # Xero honours an explicit TaxAmount
            elif amount_types == "Exclusive":
                tax = round_money(amount * rate.rate / 100)
            else:
                tax = round_money(amount * rate.rate / (100 + rate.rate))
        line["TaxType"] = rate.tax_type if rate else (_text(raw.get("TaxType")) or "NONE")
        line["TaxAmount"] = money(tax)
        line["LineAmount"] = money(amount)
        line["Tracking"] = _resolve_tracking(tenant, raw.get("Tracking"), problems)
        if raw.get("ItemCode"):
            line["ItemCode"] = raw["ItemCode"]
        line["ValidationErrors"] = []
        lines.append(line)
        amounts += amount
        taxes += tax
    if amount_types == "Inclusive":
        totals = Totals(amounts - taxes, taxes, amounts)
    else:
        totals = Totals(amounts, taxes, amounts + taxes)
    return lines, totals


def _currency(
    tenant: Tenant,
    currency: str,
    raw_rate: Any,
    problems: Problems,
) -> Decimal:
    base = tenant.organisation.base_currency
    rate = _decimal(raw_rate, "CurrencyRate", problems)
    if currency == base:
        if rate is not None and rate != 1:
            problems.add(messages.currency_rate_base(base))
        return Decimal(1)
    if rate is None:
        return xe_rate(base, currency)
    if rate <= 0:
        problems.add(messages.CURRENCY_RATE_POSITIVE)
        return Decimal(1)
    return rate


def _echo(raw: Any, id_field: str, problems: Problems) -> Json:
    """The element as Xero echoes it in a validation error."""
    element: Json = dict(raw) if isinstance(raw, dict) else {}
    element.setdefault(id_field, ZERO_ID)
    element["StatusAttributeString"] = "ERROR"
    element["ValidationErrors"] = problems.as_json()
    return element


@dataclass
class Outcome:
    """A validated element: either problems, or a commit that stores it and returns its JSON."""

    raw: Any
    problems: Problems
    commit: Callable[[], Json] | None = None


def _run_batch(
    outcomes: list[Outcome], id_field: str, summarize: bool, *, report_ok: bool | None = None
) -> list[Json]:
    failed = [outcome for outcome in outcomes if outcome.problems or outcome.commit is None]
    if summarize and failed:
        raise ValidationFailed([_echo(o.raw, id_field, o.problems) for o in failed])
    results: list[Json] = []
    for outcome in outcomes:
        if outcome.problems or outcome.commit is None:
            results.append(_echo(outcome.raw, id_field, outcome.problems))
            continue
        record = outcome.commit()
        if report_ok if report_ok is not None else not summarize:
            record["StatusAttributeString"] = "OK"
        results.append(record)
    return results


def batch_items(body: Any, plural: str) -> list[Any]:
    """The elements of ``{"<Plural>": [...]}``; a bare object is accepted as one element."""
    if isinstance(body, dict) and plural in body:
        items = body[plural]
        if not isinstance(items, list):
            raise PostDataInvalid(f"{plural} must be a list")
        return items
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return body
    raise PostDataInvalid("The request body could not be read")


def _existing_for_write(
    tenant: Tenant,
    kind: DocumentKind,
    raw: Json,
    mode: WriteMode,
    target_id: str | None,
    problems: Problems,
) -> Document | None:
    identifier = target_id or _text(raw.get(ID_FIELD[kind]))
    if mode == "create" or identifier is None:
        return None
    document = tenant.documents[kind].get(identifier.lower())
    if document is None:
        if target_id is not None:
            raise NotFound(target_id)
        problems.add(messages.document_not_found(kind.rstrip("s"), identifier))
    return document


def _merged(existing: Document | None, raw: Json) -> Json:
    """An update sends the whole object, but omitted fields keep their stored value."""
    if existing is None:
        return dict(raw)
    merged = dict(existing.data)
    merged.update(raw)
    return merged


# --------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------
def save_contacts(
    tenant: Tenant,
    items: list[Any],
    mode: WriteMode,
    *,
    target_id: str | None,
    summarize: bool,
    now: datetime,
) -> list[Json]:
    outcomes: list[Outcome] = []
    claimed: dict[str, str] = {}  # lower name -> contact id, for names used earlier in the batch
    for raw in items:
        problems = Problems()
        if not isinstance(raw, dict):
            raise PostDataInvalid("Contacts must be a list of contact objects")
        existing: Contact | None = None
        identifier = target_id or _text(raw.get("ContactID"))
        if identifier and mode != "create":
            existing = tenant.contacts.get(identifier.lower())
            if existing is None:
                if target_id:
                    raise NotFound(target_id)
                problems.add(messages.contact_not_found(identifier))
        elif mode == "upsert":
            number = _text(raw.get("ContactNumber"))
            if number:
                existing = tenant.contact_by_number(number)
            if existing is None and _text(raw.get("Name")):
                existing = tenant.contact_by_name(str(raw["Name"]))
        name = _text(raw.get("Name")) or (existing.name if existing else None)
        if name is None:
            problems.add(messages.CONTACT_NAME_REQUIRED)
        else:
            self_id = existing.contact_id if existing else None
            owner = tenant.contact_by_name(name)
            taken_by_other = (
                owner is not None and owner.status == "ACTIVE" and owner.contact_id != self_id
            )
            claimed_in_batch = name.lower() in claimed and claimed[name.lower()] != self_id
            if taken_by_other or claimed_in_batch:
                problems.add(messages.contact_name_taken(name))
        email = _text(raw.get("EmailAddress"))
        if email and not _EMAIL.match(email):
            problems.add(messages.EMAIL_INVALID)
        status = _text(raw.get("ContactStatus"))
        if status and status not in ("ACTIVE", "ARCHIVED"):
            problems.add(messages.status_invalid("Contact", status))
        if not problems and name is not None:
            claimed[name.lower()] = existing.contact_id if existing else f"new:{len(outcomes)}"

        def commit(raw: Json = raw, existing: Contact | None = existing) -> Json:
            contact = existing or tenant.add_contact(
                Contact(contact_id=new_id(), name=str(raw["Name"]).strip(), updated=now)
            )
            if _text(raw.get("Name")):
                contact.name = str(raw["Name"]).strip()
            for attr, key in (
                ("contact_number", "ContactNumber"),
                ("first_name", "FirstName"),
                ("last_name", "LastName"),
                ("email_address", "EmailAddress"),
            ):
                if key in raw:
                    setattr(contact, attr, _text(raw[key]))
            if _text(raw.get("ContactStatus")):
                contact.status = str(raw["ContactStatus"])
            for key in CONTACT_PASSTHROUGH:
                if key in raw:
                    contact.extra[key] = raw[key]
            contact.updated = now
            return contact.to_xero()

        outcomes.append(Outcome(raw, problems, None if problems else commit))
    return _run_batch(outcomes, "ContactID", summarize)


# --------------------------------------------------------------------------------------------
# Bank transactions
# --------------------------------------------------------------------------------------------
BANK_TRANSACTION_TYPES = (
    "RECEIVE",
    "RECEIVE-OVERPAYMENT",
    "RECEIVE-PREPAYMENT",
    "SPEND",
    "SPEND-OVERPAYMENT",
    "SPEND-PREPAYMENT",
    "RECEIVE-TRANSFER",
    "SPEND-TRANSFER",
)


def _validate_bank_transaction(
    tenant: Tenant,
    raw: Any,
    mode: WriteMode,
    target_id: str | None,
    now: datetime,
) -> Outcome:
    if not isinstance(raw, dict):
        raise PostDataInvalid("BankTransactions must be a list of bank transaction objects")
    problems = Problems()
    existing = _existing_for_write(tenant, "BankTransactions", raw, mode, target_id, problems)
    if problems:
        return Outcome(raw, problems)
    if existing is not None:
        if existing.status in ("DELETED", "VOIDED"):
            problems.add(messages.document_not_editable("bank transaction", existing.status))
            return Outcome(raw, problems)
        if _text(raw.get("Status")) in ("DELETED", "VOIDED"):
            return _delete_outcome(tenant, "BankTransactions", existing, raw, now)
    data = _merged(existing, raw)
    status = _text(data.get("Status")) or "AUTHORISED"
    if status != "AUTHORISED":
        problems.add(messages.CREATE_STATUS)
    kind = _text(data.get("Type"))
    if kind is None:
        problems.add(messages.type_required("BankTransaction"))
    elif kind not in BANK_TRANSACTION_TYPES:
        problems.add(messages.type_invalid("BankTransaction", kind))
    elif kind.endswith("-TRANSFER"):
        problems.add(messages.TRANSFER_TYPES_READ_ONLY)
    contact = _resolve_contact(tenant, data.get("Contact"), problems)
    bank = _resolve_bank_account(tenant, data.get("BankAccount"), problems)
    amount_types = _line_amount_types(data.get("LineAmountTypes"), "Exclusive", problems)
    lines, totals = _price_lines(
        tenant, data.get("LineItems"), amount_types, problems, require_account=True
    )
    if totals.total < 0:
        problems.add(messages.TOTAL_NEGATIVE)
    day = _resolve_date(tenant, data.get("Date"), now.date(), problems)
    if existing is not None and existing.document_date is not None:
        _resolve_date(tenant, existing.document_date.isoformat(), now.date(), problems)
    base = tenant.organisation.base_currency
    currency = base
    rate = Decimal(1)
    if bank is not None:
        currency = bank.currency_code or base
        given = _text(data.get("CurrencyCode"))
        if given and given.upper() != currency:
            problems.add(messages.currency_mismatch(given.upper(), currency))
        rate = _currency(tenant, currency, data.get("CurrencyRate"), problems)
    if problems:
        return Outcome(raw, problems)
    assert bank is not None
    assert contact is not None
    assert kind is not None

    def commit() -> Json:
        contact_record = contact.materialise(tenant, now)
        identifier = existing.document_id if existing else new_id()
        body: Json = {
            "BankTransactionID": identifier,
            "BankAccount": bank.to_ref(),
            "Type": kind,
            "IsReconciled": bool(data.get("IsReconciled", False)),
            "CurrencyRate": float(rate),
            "Contact": contact_record.to_ref(),
            **dated(day),
            "Status": "AUTHORISED",
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            **totals.as_json(),
            "CurrencyCode": currency,
        }
        if kind in ("SPEND", "RECEIVE"):
            body["Reference"] = _text(data.get("Reference")) or ""
        if _text(data.get("Url")):
            body["Url"] = data["Url"]
        if kind.endswith("-OVERPAYMENT"):
            body["OverpaymentID"] = (existing.data.get("OverpaymentID") if existing else None) or (
                new_id()
            )
        if kind.endswith("-PREPAYMENT"):
            body["PrepaymentID"] = (existing.data.get("PrepaymentID") if existing else None) or (
                new_id()
            )
        return _store(tenant, "BankTransactions", existing, identifier, body, day, now)

    return Outcome(raw, problems, commit)


def _delete_outcome(
    tenant: Tenant, kind: DocumentKind, document: Document, raw: Json, now: datetime
) -> Outcome:
    """Status DELETED/VOIDED on an update only changes the status (lock date permitting)."""
    problems = Problems()
    if document.document_date is not None:
        _resolve_date(tenant, document.document_date.isoformat(), now.date(), problems)
    new_status = str(raw["Status"])
    if problems:
        return Outcome(raw, problems)

    def commit() -> Json:
        document.data["Status"] = new_status
        document.updated = now
        return render_document(kind, document)

    return Outcome(raw, problems, commit)


# --------------------------------------------------------------------------------------------
# Bank transfers
# --------------------------------------------------------------------------------------------
def _transfer_side(tenant: Tenant, raw: Any, side: str, problems: Problems) -> Account | None:
    if not isinstance(raw, dict) or not (_text(raw.get("AccountID")) or _text(raw.get("Code"))):
        problems.add(messages.transfer_account_required(side))
        return None
    return _resolve_bank_account(tenant, raw, problems)


def _validate_bank_transfer(tenant: Tenant, raw: Any, now: datetime) -> Outcome:
    if not isinstance(raw, dict):
        raise PostDataInvalid("BankTransfers must be a list of bank transfer objects")
    problems = Problems()
    source = _transfer_side(tenant, raw.get("FromBankAccount"), "FromBankAccount", problems)
    target = _transfer_side(tenant, raw.get("ToBankAccount"), "ToBankAccount", problems)
    amount = _decimal(raw.get("Amount"), "Amount", problems)
    if amount is None or amount <= 0:
        problems.add(messages.TRANSFER_AMOUNT_POSITIVE)
    if source is not None and target is not None:
        if source.account_id == target.account_id:
            problems.add(messages.TRANSFER_SAME_ACCOUNT)
        base = tenant.organisation.base_currency
        if (source.currency_code or base) != (target.currency_code or base):
            problems.add(messages.TRANSFER_CURRENCY)
    from_tracking = _resolve_tracking(tenant, raw.get("FromTracking"), problems)
    to_tracking = _resolve_tracking(tenant, raw.get("ToTracking"), problems)
    day = _resolve_date(tenant, raw.get("Date"), now.date(), problems)
    if problems:
        return Outcome(raw, problems)
    assert source is not None
    assert target is not None
    assert amount is not None
    amount = round_money(amount)

    def commit() -> Json:
        identifier = new_id()
        reference = _text(raw.get("Reference")) or ""
        currency = source.currency_code or tenant.organisation.base_currency
        legs: dict[str, str] = {}
        for leg, account, other, reconciled in (
            ("SPEND-TRANSFER", source, target, bool(raw.get("FromIsReconciled", False))),
            ("RECEIVE-TRANSFER", target, source, bool(raw.get("ToIsReconciled", False))),
        ):
            leg_id = new_id()
            legs[leg] = leg_id
            line: Json = {
                "LineItemID": new_id(),
                "Description": reference,
                "AccountCode": other.code,
                "AccountID": other.account_id,
                "TaxType": "NONE",
                "TaxAmount": 0.0,
                "LineAmount": money(amount),
                "Quantity": 1.0,
                "UnitAmount": money(amount),
                "Tracking": [],
                "ValidationErrors": [],
            }
            tenant.documents["BankTransactions"][leg_id] = Document(
                leg_id,
                {
                    "BankTransactionID": leg_id,
                    "BankAccount": account.to_ref(),
                    "Type": leg,
                    "IsReconciled": reconciled,
                    "CurrencyRate": 1.0,
                    **dated(day),
                    "Status": "AUTHORISED",
                    "LineAmountTypes": "NoTax",
                    "LineItems": [line],
                    "SubTotal": money(amount),
                    "TotalTax": 0.0,
                    "Total": money(amount),
                    "CurrencyCode": currency,
                    "BankTransferID": identifier,
                },
                now,
                day,
            )
        body: Json = {
            "BankTransferID": identifier,
            **dated(day),
            "Status": "AUTHORISED",
            "FromBankAccount": source.to_ref(),
            "ToBankAccount": target.to_ref(),
            "Amount": money(amount),
            "FromBankTransactionID": legs["SPEND-TRANSFER"],
            "ToBankTransactionID": legs["RECEIVE-TRANSFER"],
            "FromIsReconciled": bool(raw.get("FromIsReconciled", False)),
            "ToIsReconciled": bool(raw.get("ToIsReconciled", False)),
            "Reference": reference,
            "CurrencyRate": 1.0,
        }
        if from_tracking:
            body["FromTracking"] = from_tracking
        if to_tracking:
            body["ToTracking"] = to_tracking
        document = Document(identifier, body, now, day)
        tenant.documents["BankTransfers"][identifier] = document
        return render_document("BankTransfers", document)

    return Outcome(raw, problems, commit)


def save_bank_transfers(
    tenant: Tenant, items: list[Any], *, summarize: bool, now: datetime
) -> list[Json]:
    outcomes = [_validate_bank_transfer(tenant, raw, now) for raw in items]
    return _run_batch(outcomes, "BankTransferID", summarize)


def delete_bank_transfers(
    tenant: Tenant,
    items: list[Any],
    *,
    target_id: str | None,
    summarize: bool,
    now: datetime,
) -> list[Json]:
    """Bank transfers cannot be edited; ``Status: DELETED`` deletes both of their legs."""
    outcomes: list[Outcome] = []
    for raw in items:
        if not isinstance(raw, dict):
            raise PostDataInvalid("BankTransfers must be a list of bank transfer objects")
        problems = Problems()
        identifier = target_id or _text(raw.get("BankTransferID"))
        document = tenant.documents["BankTransfers"].get((identifier or "").lower())
        if document is None:
            if target_id:
                raise NotFound(target_id)
            problems.add(messages.document_not_found("BankTransfer", identifier or ""))
            outcomes.append(Outcome(raw, problems))
            continue
        if _text(raw.get("Status")) != "DELETED":
            problems.add(messages.status_invalid("BankTransfer", raw.get("Status")))
        elif document.status == "DELETED":
            problems.add(messages.document_not_editable("bank transfer", "DELETED"))
        if document.document_date is not None:
            _resolve_date(tenant, document.document_date.isoformat(), now.date(), problems)
        if problems:
            outcomes.append(Outcome(raw, problems))
            continue

        def commit(document: Document = document) -> Json:
            document.data["Status"] = "DELETED"
            document.updated = now
            for leg_field in ("FromBankTransactionID", "ToBankTransactionID"):
                leg = tenant.documents["BankTransactions"].get(str(document.data[leg_field]))
                if leg is not None:
                    leg.data["Status"] = "DELETED"
                    leg.updated = now
            return render_document("BankTransfers", document)

        outcomes.append(Outcome(raw, problems, commit))
    return _run_batch(outcomes, "BankTransferID", summarize)


# --------------------------------------------------------------------------------------------
# Invoices (ACCPAY bills; ACCREC supported for completeness)
# --------------------------------------------------------------------------------------------
INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED", "PAID")
_ALLOWED_TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}


def _validate_invoice(
    tenant: Tenant, raw: Any, mode: WriteMode, target_id: str | None, now: datetime
) -> Outcome:
    if not isinstance(raw, dict):
        raise PostDataInvalid("Invoices must be a list of invoice objects")
    problems = Problems()
    existing = _existing_for_write(tenant, "Invoices", raw, mode, target_id, problems)
    if problems:
        return Outcome(raw, problems)
    previous = existing.status if existing else None
    status = _text(raw.get("Status")) or previous or "DRAFT"
    if status not in INVOICE_STATUSES:
        problems.add(messages.status_invalid("Invoice", status))
        return Outcome(raw, problems)
    if previous is not None and previous not in _ALLOWED_TRANSITIONS:
        problems.add(messages.document_not_editable("invoice", previous))
        return Outcome(raw, problems)
    if status not in _ALLOWED_TRANSITIONS.get(previous or "DRAFT", set()) or (
        previous is None and status not in ("DRAFT", "SUBMITTED", "AUTHORISED")
    ):
        problems.add(messages.status_invalid("Invoice", status))
        return Outcome(raw, problems)
    if existing is not None and status in ("DELETED", "VOIDED"):
        return _delete_outcome(tenant, "Invoices", existing, {"Status": status}, now)
    data = _merged(existing, raw)
    kind = _text(data.get("Type"))
    if kind is None:
        problems.add(messages.type_required("Invoice"))
    elif kind not in ("ACCPAY", "ACCREC"):
        problems.add(messages.type_invalid("Invoice", kind))
    contact = _resolve_contact(tenant, data.get("Contact"), problems)
    default_types = "Exclusive"
    amount_types = _line_amount_types(data.get("LineAmountTypes"), default_types, problems)
    lines, totals = _price_lines(
        tenant,
        data.get("LineItems"),
        amount_types,
        problems,
        require_account=status != "DRAFT",
        allow_discount=kind == "ACCREC",
    )
    day = _resolve_date(tenant, data.get("Date"), now.date(), problems)
    due: date | None = None
    if data.get("DueDate") not in (None, ""):
        due = _resolve_date(tenant, data.get("DueDate"), day, problems, check_lock=False)
    base = tenant.organisation.base_currency
    currency = (_text(data.get("CurrencyCode")) or base).upper()
    if currency not in tenant.currencies:
        problems.add(messages.currency_not_enabled(currency))
    rate = _currency(tenant, currency, data.get("CurrencyRate"), problems)
    if problems:
        return Outcome(raw, problems)
    assert contact is not None
    assert kind is not None

    def commit() -> Json:
        contact_record = contact.materialise(tenant, now)
        if kind == "ACCPAY":
            contact_record.is_supplier = True
        else:
            contact_record.is_customer = True
        identifier = existing.document_id if existing else new_id()
        number = _text(data.get("InvoiceNumber"))
        if kind == "ACCREC" and number is None:
            tenant.invoice_counter += 1
            number = f"INV-{tenant.invoice_counter:04d}"
        body: Json = {
            "Type": kind,
            "InvoiceID": identifier,
            "InvoiceNumber": number or "",
            "Reference": _text(data.get("Reference")) or "",
            "Contact": contact_record.to_ref(),
            **dated(day),
            "Status": status,
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            **totals.as_json(),
            "CurrencyCode": currency,
            "CurrencyRate": float(rate),
            "AmountDue": money(totals.total),
            "AmountPaid": 0.0,
            "AmountCredited": 0.0,
            "IsDiscounted": False,
            "HasErrors": False,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
        }
        if due is not None:
            body["DueDate"] = ms_date(due)
            body["DueDateString"] = date_string(due)
        if _text(data.get("Url")):
            body["Url"] = data["Url"]
        return _store(tenant, "Invoices", existing, identifier, body, day, now)

    return Outcome(raw, problems, commit)


# --------------------------------------------------------------------------------------------
# Manual journals
# --------------------------------------------------------------------------------------------
_JOURNAL_TRANSITIONS = {
    "DRAFT": {"DRAFT", "POSTED", "DELETED"},
    "POSTED": {"POSTED", "VOIDED"},
}


def _validate_manual_journal(
    tenant: Tenant, raw: Any, mode: WriteMode, target_id: str | None, now: datetime
) -> Outcome:
    if not isinstance(raw, dict):
        raise PostDataInvalid("ManualJournals must be a list of manual journal objects")
    problems = Problems()
    existing = _existing_for_write(tenant, "ManualJournals", raw, mode, target_id, problems)
    if problems:
        return Outcome(raw, problems)
    previous = existing.status if existing else None
    status = _text(raw.get("Status")) or previous or "DRAFT"
    allowed = _JOURNAL_TRANSITIONS.get(previous or "DRAFT", set())
    if previous is not None and previous not in _JOURNAL_TRANSITIONS:
        problems.add(messages.document_not_editable("manual journal", previous))
        return Outcome(raw, problems)
    if status not in allowed or (previous is None and status not in ("DRAFT", "POSTED")):
        problems.add(messages.status_invalid("ManualJournal", status))
        return Outcome(raw, problems)
    if existing is not None and status in ("DELETED", "VOIDED"):
        return _delete_outcome(tenant, "ManualJournals", existing, {"Status": status}, now)
    data = _merged(existing, raw)
    narration = _text(data.get("Narration"))
    if narration is None:
        problems.add(messages.NARRATION_REQUIRED)
    amount_types = _line_amount_types(data.get("LineAmountTypes"), "NoTax", problems)
    raw_lines = data.get("JournalLines")
    lines: list[Json] = []
    debits = credits = Decimal(0)
    if not isinstance(raw_lines, list) or len(raw_lines) < 2:
        problems.add(messages.JOURNAL_LINES_REQUIRED)
        raw_lines = raw_lines if isinstance(raw_lines, list) else []
    for raw_line in raw_lines:
        if not isinstance(raw_line, dict):
            raise PostDataInvalid("JournalLines must be a list of journal line objects")
        amount = _decimal(raw_line.get("LineAmount"), "LineAmount", problems)
        if amount is None:
            problems.add("LineAmount must be specified for each journal line.")
            amount = Decimal(0)
        amount = round_money(amount)
        if amount > 0:
            debits += amount
        else:
            credits -= amount
        account, reference = _resolve_account_ref(tenant, raw_line)
        if not reference:
            problems.add(messages.LINE_ACCOUNT_REQUIRED)
        elif account is None:
            problems.add(messages.account_code_invalid(reference))
        elif account.status != "ACTIVE":
            problems.add(messages.account_archived(account.reference))
            account = None
        rate = _tax_for(tenant, raw_line.get("TaxType"), account, amount_types, problems)
        tax = Decimal(0)
        if rate is not None and amount_types == "Exclusive":
            tax = round_money(amount * rate.rate / 100)
        elif rate is not None and amount_types == "Inclusive":
            tax = round_money(amount * rate.rate / (100 + rate.rate))
        line: Json = {
            "JournalLineID": new_id(),
            "LineAmount": money(amount),
            "TaxType": rate.tax_type if rate else "NONE",
            "TaxAmount": money(tax),
            "Tracking": _resolve_tracking(tenant, raw_line.get("Tracking"), problems),
            "IsBlank": False,
        }
        if account is not None:
            line["AccountID"] = account.account_id
            line["AccountCode"] = account.code
        if _text(raw_line.get("Description")):
            line["Description"] = raw_line["Description"]
        lines.append(line)
    if debits != credits:
        problems.add(messages.not_balanced(f"{debits:.2f}", f"{credits:.2f}"))
    day = _resolve_date(tenant, data.get("Date"), now.date(), problems)
    if problems:
        return Outcome(raw, problems)

    def commit() -> Json:
        identifier = existing.document_id if existing else new_id()
        body: Json = {
            "ManualJournalID": identifier,
            "Narration": narration,
            **dated(day),
            "Status": status,
            "LineAmountTypes": amount_types,
            "JournalLines": lines,
            "ShowOnCashBasisReports": bool(data.get("ShowOnCashBasisReports", True)),
        }
        if _text(data.get("Url")):
            body["Url"] = data["Url"]
        return _store(tenant, "ManualJournals", existing, identifier, body, day, now)

    return Outcome(raw, problems, commit)


DocumentValidator = Callable[[Tenant, Any, WriteMode, str | None, datetime], Outcome]
_DOCUMENT_VALIDATORS: dict[DocumentKind, tuple[DocumentValidator, str]] = {
    "BankTransactions": (_validate_bank_transaction, "BankTransactionID"),
    "Invoices": (_validate_invoice, "InvoiceID"),
    "ManualJournals": (_validate_manual_journal, "ManualJournalID"),
}


def save_documents(
    tenant: Tenant,
    kind: DocumentKind,
    items: list[Any],
    mode: WriteMode,
    *,
    target_id: str | None,
    summarize: bool,
    now: datetime,
) -> list[Json]:
    """Validate a batch of ``kind`` documents, then store or report each item as Xero does."""
    if kind == "BankTransfers":
        # PUT creates; any POST can only delete (Xero has no transfer update).
        if mode == "create":
            return save_bank_transfers(tenant, items, summarize=summarize, now=now)
        return delete_bank_transfers(
            tenant, items, target_id=target_id, summarize=summarize, now=now
        )
    validate, id_field = _DOCUMENT_VALIDATORS[kind]
    outcomes = [validate(tenant, raw, mode, target_id, now) for raw in items]
    return _run_batch(outcomes, id_field, summarize)


# --------------------------------------------------------------------------------------------
# Currencies
# --------------------------------------------------------------------------------------------
def add_currencies(tenant: Tenant, items: list[Any]) -> list[Json]:
    """``PUT /Currencies`` adds currencies to the organisation (all-or-nothing)."""
    problems: list[Json] = []
    codes: list[str] = []
    for raw in items:
        code = _text(raw.get("Code")) if isinstance(raw, dict) else None
        element = dict(raw) if isinstance(raw, dict) else {}
        if code is None or len(code) != 3 or code.upper() not in USD_RATES:
            element["ValidationErrors"] = [{"Message": messages.currency_unknown(code)}]
            problems.append(element)
        elif code.upper() in tenant.currencies or code.upper() in codes:
            element["ValidationErrors"] = [{"Message": messages.currency_exists(code.upper())}]
            problems.append(element)
        else:
            codes.append(code.upper())
    if problems:
        raise ValidationFailed(problems)
    added = []
    for code in codes:
        currency = Currency(code, CURRENCY_NAMES.get(code, code))
        tenant.currencies[code] = currency
        added.append(currency.to_xero())
    return added


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_per_document: int = 10


def _mime_type(file_name: str, declared: str | None) -> str:
    if declared and declared.split(";")[0].strip() not in ("", "application/octet-stream"):
        return declared.split(";")[0].strip()
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or "application/octet-stream"


def save_attachment(
    tenant: Tenant,
    kind: DocumentKind,
    document_id: str,
    file_name: str,
    content: bytes,
    *,
    declared_type: str | None,
    include_online: bool,
    limits: AttachmentLimits,
    url_for: Callable[[str], str],
    now: datetime,
) -> Json:
    """``PUT`` and ``POST`` both upload; a file with the same name is replaced, not doubled."""
    document = find_document(tenant, kind, document_id)
    if len(content) > limits.max_bytes:
        raise ValidationFailed.single(
            messages.attachment_too_large(limits.max_bytes // (1024 * 1024)), status_code=413
        )
    if not content:
        raise ValidationFailed.single(messages.ATTACHMENT_EMPTY)
    same_name = next(
        (a for a in document.attachments if a.file_name.lower() == file_name.lower()), None
    )
    if same_name is None and len(document.attachments) >= limits.max_per_document:
        raise ValidationFailed.single(messages.max_attachments(limits.max_per_document))
    mime = _mime_type(file_name, declared_type)
    if same_name is not None:
        same_name.content = content
        same_name.mime_type = mime
        same_name.include_online = include_online
        attachment = same_name
    else:
        attachment = Attachment(new_id(), file_name, mime, content, include_online)
        document.attachments.append(attachment)
    return attachment.to_xero(url_for(attachment.file_name))


def list_attachments(
    tenant: Tenant, kind: DocumentKind, document_id: str, url_for: Callable[[str], str]
) -> list[Json]:
    document = find_document(tenant, kind, document_id)
    return [a.to_xero(url_for(a.file_name)) for a in document.attachments]


def get_attachment(
    tenant: Tenant, kind: DocumentKind, document_id: str, name_or_id: str
) -> Attachment:
    document = find_document(tenant, kind, document_id)
    for attachment in document.attachments:
        if attachment.attachment_id == name_or_id.lower() and _UUID.match(name_or_id):
            return attachment
    for attachment in document.attachments:
        if attachment.file_name.lower() == name_or_id.lower():
            return attachment
    raise NotFound(name_or_id)


# --------------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------------
def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.lower().encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def recall_response(
    tenant: Tenant, key: str, now: float, retention: float
) -> StoredResponse | None:
    expired = [k for k, v in tenant.idempotency.items() if now - v.stored_at > retention]
    for stale in expired:
        del tenant.idempotency[stale]
    return tenant.idempotency.get(key)


class XeroBackend:
    """All organisations of one sandbox process, rebuilt from the seed on reset."""

    def __init__(self, factory: Callable[[], list[Tenant]]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self.tenants: dict[str, Tenant] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.tenants = {tenant.tenant_id: tenant for tenant in self._factory()}

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id.strip().lower())

    def add(self, tenant: Tenant) -> Tenant:
        """Another organisation (until the next reset), e.g. one per company in a load test."""
        with self._lock:
            return self.tenants.setdefault(tenant.tenant_id, tenant)

    def organisation_names(self) -> dict[str, str]:
        return {tenant_id: t.organisation.name for tenant_id, t in self.tenants.items()}


# --------------------------------------------------------------------------------------------
# Accounts (PUT /Accounts creates one; POST /Accounts/{id} updates one)
# --------------------------------------------------------------------------------------------
def save_account(
    tenant: Tenant, raw: Any, target_id: str | None, default_tax: str, now: datetime
) -> Json:
    """Xero's account rules: Code (≤ 10 characters) and Name (≤ 150) unique in the chart, a
    known Type, bank accounts with a BankAccountNumber and a currency the organisation has;
    system accounts and bank accounts' type cannot change."""
    if not isinstance(raw, dict):
        raise PostDataInvalid("An account must be an object")
    existing: Account | None = None
    if target_id is not None:
        existing = tenant.accounts.get(target_id.lower())
        if existing is None:
            raise NotFound(target_id)
    problems = Problems()
    code = _text(raw.get("Code")) if "Code" in raw else (existing.code if existing else None)
    name = _text(raw.get("Name")) or (existing.name if existing else None)
    kind = (_text(raw.get("Type")) or (existing.type if existing else "")).upper()
    self_id = existing.account_id if existing else None
    if not name:
        problems.add(messages.ACCOUNT_NAME_REQUIRED)
    elif len(name) > 150:
        problems.add(messages.ACCOUNT_NAME_TOO_LONG)
    elif any(
        a.name.lower() == name.lower() and a.account_id != self_id and a.status != "DELETED"
        for a in tenant.accounts.values()
    ):
        problems.add(messages.ACCOUNT_NAME_TAKEN)
    if kind != "BANK" and not code:
        problems.add(messages.ACCOUNT_CODE_REQUIRED)
    if code and len(code) > 10:
        problems.add(messages.ACCOUNT_CODE_TOO_LONG)
    elif code and (owner := tenant.account_by_code(code)) and owner.account_id != self_id:
        problems.add(messages.ACCOUNT_CODE_TAKEN)
    if kind not in ACCOUNT_CLASS:
        problems.add(messages.account_type_invalid(kind or "(none)"))
    if existing is not None and existing.type != kind and "BANK" in (existing.type, kind):
        problems.add(messages.ACCOUNT_BANK_TYPE_FIXED)
    currency = _text(raw.get("CurrencyCode"))
    if kind == "BANK":
        number = _text(raw.get("BankAccountNumber")) or (
            existing.bank_account_number if existing else None
        )
        if not number:
            problems.add(messages.BANK_ACCOUNT_NUMBER_REQUIRED)
        bank_type = (_text(raw.get("BankAccountType")) or "BANK").upper()
        if bank_type not in ("BANK", "CREDITCARD", "PAYPAL"):
            problems.add(messages.bank_account_type_invalid(bank_type))
        if currency and currency.upper() not in tenant.currencies:
            problems.add(messages.currency_not_enabled(currency.upper()))
    status = _text(raw.get("Status"))
    if status and status not in ("ACTIVE", "ARCHIVED"):
        problems.add(messages.status_invalid("Account", status))
    tax_type = _text(raw.get("TaxType"))
    if tax_type and tax_type not in tenant.tax_rates:
        problems.add(messages.tax_type_invalid(tax_type))
    if problems:
        raise ValidationFailed([_echo(raw, "AccountID", problems)])
    account = existing or tenant.add_account(
        Account(account_id=new_id(), code=code, name=str(name), type=kind, updated=now)
    )
    account.code, account.name, account.type = code, str(name), kind
    if kind == "BANK":
        account.bank_account_number = _text(raw.get("BankAccountNumber")) or (
            account.bank_account_number
        )
        account.bank_account_type = (
            _text(raw.get("BankAccountType")) or account.bank_account_type or "BANK"
        ).upper()
        account.currency_code = (
            currency or account.currency_code or tenant.organisation.base_currency
        ).upper()
    else:
        account.tax_type = tax_type or account.tax_type or default_tax
    if "Description" in raw:
        account.description = _text(raw.get("Description"))
    if status:
        account.status = status
    account.updated = now
    return account.to_xero()
