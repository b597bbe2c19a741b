"""The QBO sandbox's in-memory books: one :class:`Company` per realm, and the rules QBO applies.

Records are kept in QBO's own JSON shape (XSD element names), exactly as the API returns them,
so a read is a copy and a query filters what a client would see. Every write goes through
:func:`save_entity`, which runs the entity's validator (reference checks, enums, the
multicurrency rules, server-computed totals) before anything is stored: a rejected write leaves
the books untouched. Callers hold ``company.lock`` around each call.

Nothing here knows about HTTP; failures are :class:`~spendsync.sandboxes.qbo.errors.QboError`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from spendsync.sandboxes.qbo import errors
from spendsync.sandboxes.qbo.query import matches, parse_query, sort_key

Record = dict[str, Any]
CENT = Decimal("0.01")
MAX_DOC_NUMBER = 21
MAX_PRIVATE_NOTE = 4000
NAME_LISTS = ("Vendor", "Customer", "Employee")
ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Non-Posting": "Asset",
}
BALANCE_SHEET = frozenset({"Asset", "Liability", "Equity"})
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
}
PAYMENT_TYPES = ("Cash", "Check", "CreditCard")
GLOBAL_TAX = ("TaxExcluded", "TaxInclusive", "NotApplicable")


def money(value: Decimal) -> float:
    """QBO renders amounts as JSON numbers."""
    return float(value.quantize(CENT, ROUND_HALF_UP))


def amount_of(value: Any, element: str) -> Decimal:
    if value is None or isinstance(value, bool):
        raise errors.required(element)
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise errors.request_not_understood(f"Invalid number {value!r} for {element}") from error
    if not number.is_finite():
        raise errors.request_not_understood(f"Invalid number {value!r} for {element}")
    return number


@dataclass
class StoredResponse:
    """What a ``requestid`` replays: the first answer, byte for byte."""

    status_code: int
    body: bytes
    media_type: str


@dataclass
class StoredFile:
    content: bytes
    content_type: str
    file_name: str


@dataclass
class Company:
    """One realm's books."""

    realm_id: str
    name: str
    country: str
    home_currency: str
    multicurrency: bool
    utc_offset_hours: int
    vat: bool  # True: non-US VAT/GST tax codes; False: US automated sales tax (TAX/NON)
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    request_ids: dict[str, StoredResponse] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def table(self, entity: str) -> dict[str, Record]:
        return self.records.setdefault(entity, {})

    def allocate_id(self) -> str:
        self.next_id += 1
        return str(self.next_id - 1)

    def find(self, entity: str, record_id: str) -> Record | None:
        return self.table(entity).get(str(record_id))

    def first(self, entity: str, **where: Any) -> Record | None:
        return next(
            (
                record
                for record in self.table(entity).values()
                if all(record.get(key) == value for key, value in where.items())
            ),
            None,
        )

    def timestamp(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat(timespec="seconds")

    def today(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def currencies(self) -> set[str]:
        active = {
            str(record["Code"])
            for record in self.table("CompanyCurrency").values()
            if record.get("Active", True)
        }
        return active | {self.home_currency}


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------
def ref_value(raw: Any, element: str) -> str:
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return str(raw)  # QBO also accepts a bare id
    if not isinstance(raw, dict) or raw.get("value") in (None, ""):
        raise errors.required(element)
    return str(raw["value"])


def resolve(
    company: Company,
    body: Record,
    key: str,
    kinds: tuple[str, ...],
    *,
    required: bool = False,
    element: str | None = None,
    label: str | None = None,
) -> Record | None:
    """Check ``body[key]`` names an active record of one of ``kinds``; add its display name.

    Missing → 2020, unknown id → 2500 Invalid Reference Id, inactive → 610 Object Not Found.
    """
    element = element or key
    raw = body.get(key)
    if raw is None:
        if required:
            raise errors.required(element)
        return None
    value = ref_value(raw, element)
    target = next(
        (found for kind in kinds if (found := company.find(kind, value)) is not None), None
    )
    if target is None:
        raise errors.invalid_reference(label or kinds[0], value, element)
    if target.get("Active") is False:
        raise errors.object_not_found(element=element)
    reference: Record = {"value": value}
    name = target.get("FullyQualifiedName") or target.get("DisplayName") or target.get("Name")
    if name:
        reference["name"] = name
    if isinstance(raw, dict) and raw.get("type"):
        reference["type"] = raw["type"]
    body[key] = reference
    return target


def kind_of(company: Company, record_id: str) -> str | None:
    return next((kind for kind in NAME_LISTS if company.find(kind, record_id)), None)


# --------------------------------------------------------------------------------------------
# Entity definitions
# --------------------------------------------------------------------------------------------
Validator = Callable[[Company, Record, Record | None, datetime], None]


@dataclass(frozen=True)
class EntityKind:
    """How one QBO entity is written, read and deleted."""

    name: str
    validate: Validator | None  # None: read-only through the API
    transaction: bool = False
    deletable: bool = False
    name_list: bool = False  # queries return active records unless Active is filtered on
    after_change: Callable[[Company], None] | None = None  # e.g. bill balances after payments


ENTITIES: dict[str, EntityKind] = {}


def entity_kind(name: str) -> EntityKind | None:
    """Entity names are matched case-insensitively (``/purchase`` and ``Purchase``)."""
    lowered = name.lower()
    return next((kind for key, kind in ENTITIES.items() if key.lower() == lowered), None)


def _register(kind: EntityKind) -> None:
    ENTITIES[kind.name] = kind


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------
READ_ONLY_FIELDS = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")


def _stamp(company: Company, record: Record, previous: Record | None, now: datetime) -> Record:
    created = previous["MetaData"]["CreateTime"] if previous else company.timestamp(now)
    record["MetaData"] = {"CreateTime": created, "LastUpdatedTime": company.timestamp(now)}
    record["domain"] = "QBO"
    record["sparse"] = False
    return record


def save_entity(company: Company, entity: str, body: Any, now: datetime) -> Record:
    """Create (no ``Id``) or update (``Id`` + current ``SyncToken``; ``sparse`` merges)."""
    kind = ENTITIES[entity]
    if not isinstance(body, dict):
        raise errors.request_not_understood(f"Request has invalid or unsupported {entity} body")
    if kind.validate is None:
        raise errors.unsupported_operation(f"Create/Update for {entity}")
    incoming = copy.deepcopy(body)
    record_id = incoming.get("Id")
    previous: Record | None = None
    if record_id not in (None, ""):
        previous = company.find(entity, str(record_id))
        if previous is None:
            raise errors.object_not_found(
                f"Object Not Found : {entity} with Id {record_id} was not found", "Id"
            )
        if incoming.get("SyncToken") in (None, ""):
            raise errors.required("SyncToken")
        if str(incoming["SyncToken"]) != previous["SyncToken"]:
            raise errors.stale_object(entity, incoming["SyncToken"], previous["SyncToken"])
        if incoming.get("sparse") is True:
            merged = copy.deepcopy(previous)
            merged.update(incoming)
            incoming = merged
    for key in READ_ONLY_FIELDS:
        incoming.pop(key, None)
    if kind.transaction:
        incoming.pop("TotalAmt", None)
        incoming.pop("HomeTotalAmt", None)
    kind.validate(company, incoming, previous, now)
    if previous is None:
        incoming["Id"] = company.allocate_id()
        incoming["SyncToken"] = "0"
    else:
        incoming["Id"] = previous["Id"]
        incoming["SyncToken"] = str(int(previous["SyncToken"]) + 1)
    record = _stamp(company, incoming, previous, now)
    company.table(entity)[record["Id"]] = record
    if kind.after_change is not None:
        kind.after_change(company)
    return copy.deepcopy(record)


def delete_entity(company: Company, entity: str, body: Any) -> Record:
    kind = ENTITIES[entity]
    if not kind.deletable:
        raise errors.unsupported_operation(f"Delete for {entity}")
    if not isinstance(body, dict) or body.get("Id") in (None, ""):
        raise errors.required("Id")
    previous = company.find(entity, str(body["Id"]))
    if previous is None:
        raise errors.object_not_found(
            f"Object Not Found : {entity} with Id {body['Id']} was not found", "Id"
        )
    if body.get("SyncToken") in (None, ""):
        raise errors.required("SyncToken")
    if str(body["SyncToken"]) != previous["SyncToken"]:
        raise errors.stale_object(entity, body["SyncToken"], previous["SyncToken"])
    del company.table(entity)[previous["Id"]]
    company.files.pop(previous["Id"], None)
    if kind.after_change is not None:
        kind.after_change(company)
    return {"domain": "QBO", "status": "Deleted", "Id": previous["Id"]}


def get_entity(company: Company, entity: str, record_id: str) -> Record:
    record = company.find(entity, record_id)
    if record is None:
        raise errors.object_not_found(
            f"Object Not Found : {entity} with Id {record_id} was not found"
        )
    return copy.deepcopy(record)


# --------------------------------------------------------------------------------------------
# Query
# --------------------------------------------------------------------------------------------
QUERYABLE_SINGLETONS = ("CompanyInfo", "Preferences")


def _sorter(path: str) -> Callable[[Record], tuple[int, Any]]:
    return lambda record: sort_key(record, path)


def run_query(company: Company, text: str) -> Record:
    """Answer ``select … from X …`` with QBO's ``QueryResponse`` body."""
    query = parse_query(text)
    kind = entity_kind(query.entity)
    if kind is not None:
        name = kind.name
    else:
        name = next((n for n in QUERYABLE_SINGLETONS if n.lower() == query.entity.lower()), "")
        if not name:
            raise errors.query_parse(f"Invalid context declaration : {query.entity}")
    records = list(company.table(name).values())
    if (
        kind is not None
        and kind.name_list
        and not any(condition.path.lower() == "active" for condition in query.conditions)
    ):
        records = [record for record in records if record.get("Active", True)]
    records = [r for r in records if all(matches(r, c) for c in query.conditions)]
    if query.count:
        return {"totalCount": len(records)}
    records.sort(key=lambda record: int(record["Id"]) if str(record["Id"]).isdigit() else 0)
    for path, descending in reversed(query.order):
        records.sort(key=_sorter(path), reverse=descending)
    total = len(records)
    page = records[query.start_position - 1 : query.start_position - 1 + query.max_results]
    if not page:
        return {}  # QBO answers an empty result with an empty QueryResponse
    return {
        name: copy.deepcopy(page),
        "startPosition": query.start_position,
        "maxResults": len(page),
        "totalCount": total,
    }


# --------------------------------------------------------------------------------------------
# Shared field rules
# --------------------------------------------------------------------------------------------
def _enum(body: Record, key: str, allowed: tuple[str, ...], *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise errors.required(key)
        return None
    if value not in allowed:
        raise errors.invalid_enum(key, value)
    return str(value)


def _length(body: Record, key: str, maximum: int) -> None:
    value = body.get(key)
    if isinstance(value, str) and len(value) > maximum:
        raise errors.string_length(key, maximum, len(value))


def _boolean(body: Record, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise errors.request_not_understood(f"Invalid boolean {value!r} for {key}")
    body[key] = value
    return value


def _currency(company: Company, body: Record, key: str = "CurrencyRef") -> str:
    """The record's currency; defaults to home, must be a company currency."""
    raw = body.get(key)
    code = company.home_currency if raw is None else ref_value(raw, key).upper()
    if code != company.home_currency:
        if not company.multicurrency:
            raise errors.business(
                f"Multicurrency is not enabled for this company; {key} must be "
                f"{company.home_currency}, not {code}.",
                key,
            )
        if code not in company.currencies():
            raise errors.invalid_reference("Currency", code, key)
    body[key] = {"value": code, "name": CURRENCY_NAMES.get(code, code)}
    return code


def _name_and_parent(
    company: Company, entity: str, body: Record, previous: Record | None, sub_key: str
) -> None:
    """``Name`` + optional ``ParentRef`` → ``FullyQualifiedName``, unique within the entity."""
    name = body.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise errors.required("Name")
    if ":" in name:
        raise errors.validation(
            "Invalid character", "The name can't contain a colon (:).", "2170", "Name"
        )
    parent = None
    if body.get(sub_key) or body.get("ParentRef"):
        parent = resolve(company, body, "ParentRef", (entity,), required=True)
        body[sub_key] = True
    else:
        body[sub_key] = False
        body.pop("ParentRef", None)
    qualified = f"{parent['FullyQualifiedName']}:{name}" if parent else name
    for other in company.table(entity).values():
        if previous is not None and other["Id"] == previous["Id"]:
            continue
        if str(other.get("FullyQualifiedName", "")).lower() == qualified.lower():
            raise errors.duplicate_name(qualified, f"{entity.lower()}")
    body["FullyQualifiedName"] = qualified
    _boolean(body, "Active", True)


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------
def validate_account(company: Company, body: Record, previous: Record | None, _: datetime) -> None:
    account_type = _enum(body, "AccountType", tuple(ACCOUNT_CLASSIFICATION), required=True)
    assert account_type is not None
    _length(body, "Name", 100)
    _length(body, "AcctNum", 20)
    _name_and_parent(company, "Account", body, previous, "SubAccount")
    parent_ref = body.get("ParentRef")
    if parent_ref:
        parent = company.find("Account", parent_ref["value"])
        if parent is not None and parent["AccountType"] != account_type:
            raise errors.business(
                "A sub-account must have the same account type as its parent.", "ParentRef"
            )
    body["Classification"] = ACCOUNT_CLASSIFICATION[account_type]
    _currency(company, body)
    body.setdefault("CurrentBalance", 0)
    body.setdefault("CurrentBalanceWithSubAccounts", 0)


def _display_name(body: Record) -> str:
    name = body.get("DisplayName")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [body.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
    composed = " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
    composed = composed or str(body.get("CompanyName") or "").strip()
    if not composed:
        raise errors.validation(
            "No Name Provided",
            "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must "
            "be non-empty",
            "6080",
        )
    return composed


def _name_entity(entity: str) -> Validator:
    def validate(company: Company, body: Record, previous: Record | None, _: datetime) -> None:
        display = _display_name(body)
        _length(body, "DisplayName", 500)
        for kind in NAME_LISTS:
            for other in company.table(kind).values():
                if previous is not None and other["Id"] == previous["Id"]:
                    continue
                if str(other.get("DisplayName", "")).lower() == display.lower():
                    raise errors.duplicate_name(display)
        body["DisplayName"] = display
        body.setdefault("PrintOnCheckName", display)
        _boolean(body, "Active", True)
        if entity == "Employee":
            body.pop("CurrencyRef", None)
            return
        _currency(company, body)
        body.setdefault("Balance", 0)
        if entity == "Customer":
            body["FullyQualifiedName"] = display

    return validate


def _plain_list(entity: str, sub_key: str) -> Validator:
    def validate(company: Company, body: Record, previous: Record | None, _: datetime) -> None:
        _length(body, "Name", 100)
        _name_and_parent(company, entity, body, previous, sub_key)

    return validate


def validate_company_currency(
    company: Company, body: Record, previous: Record | None, _: datetime
) -> None:
    if not company.multicurrency:
        raise errors.business("Multicurrency is not enabled for this company.")
    code = body.get("Code")
    if not isinstance(code, str) or not code.strip():
        raise errors.required("Code")
    code = code.strip().upper()
    if code not in CURRENCY_NAMES or code == company.home_currency:
        raise errors.invalid_reference("Currency", code, "Code")
    existing = company.first("CompanyCurrency", Code=code)
    if existing is not None and (previous is None or existing["Id"] != previous["Id"]):
        raise errors.duplicate_name(code, "currency")
    body["Code"] = code
    body["Name"] = CURRENCY_NAMES[code]
    _boolean(body, "Active", True)


def validate_attachable(
    company: Company, body: Record, previous: Record | None, _: datetime
) -> None:
    _length(body, "FileName", 1000)
    _length(body, "Note", 2000)
    if not body.get("FileName") and not body.get("Note"):
        raise errors.required("Note")
    refs = body.get("AttachableRef") or []
    if not isinstance(refs, list):
        raise errors.request_not_understood("AttachableRef must be a list")
    for index, ref in enumerate(refs):
        entity_ref = ref.get("EntityRef") if isinstance(ref, dict) else None
        element = f"AttachableRef[{index}].EntityRef"
        if not isinstance(entity_ref, dict) or not entity_ref.get("type"):
            raise errors.required(element)
        kind = entity_kind(str(entity_ref["type"]))
        if kind is None or kind.name == "Attachable":
            raise errors.validation(
                "The entity reference type is unsupported for Attachable",
                f"The entity reference type {entity_ref['type']} is unsupported for Attachable",
                "6050",
                element,
            )
        ref_holder = {"EntityRef": entity_ref}
        resolve(company, ref_holder, "EntityRef", (kind.name,), required=True, element=element)
        ref["EntityRef"] = {"value": ref_holder["EntityRef"]["value"], "type": kind.name}
        ref.setdefault("IncludeOnSend", False)


# --------------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------------
@dataclass
class TxnContext:
    currency: str
    rate: Decimal


def _transaction_header(
    company: Company, body: Record, now: datetime, *, allow_currency: bool = True
) -> TxnContext:
    _length(body, "DocNumber", MAX_DOC_NUMBER)
    _length(body, "PrivateNote", MAX_PRIVATE_NOTE)
    txn_date = body.get("TxnDate")
    if txn_date is None:
        body["TxnDate"] = company.today(now).isoformat()
    else:
        try:
            body["TxnDate"] = date.fromisoformat(str(txn_date)[:10]).isoformat()
        except ValueError as error:
            raise errors.request_not_understood(f"Invalid date {txn_date!r} for TxnDate") from error
    resolve(company, body, "DepartmentRef", ("Department",))
    currency = _currency(company, body) if allow_currency else company.home_currency
    if currency == company.home_currency:
        rate = Decimal(1)
        if "ExchangeRate" in body and amount_of(body["ExchangeRate"], "ExchangeRate") != 1:
            raise errors.business("ExchangeRate must be 1 for a home currency transaction.")
    elif body.get("ExchangeRate") is not None:
        rate = amount_of(body["ExchangeRate"], "ExchangeRate")
        if rate <= 0:
            raise errors.business("ExchangeRate must be greater than zero.", "ExchangeRate")
    else:
        rate = company.exchange_rates.get(currency, Decimal(1))
    if company.multicurrency:
        body["ExchangeRate"] = float(rate)
    else:
        body.pop("ExchangeRate", None)
    return TxnContext(currency, rate)


def _account_currency(company: Company, account: Record) -> str:
    return str((account.get("CurrencyRef") or {}).get("value") or company.home_currency)


def _require_account_currency(
    company: Company, account: Record, context: TxnContext, element: str
) -> None:
    """§2.9: a foreign-currency bank/card account only takes transactions in its currency."""
    currency = _account_currency(company, account)
    if currency != company.home_currency and currency != context.currency:
        raise errors.business(
            f"The transaction currency ({context.currency}) must be the home currency or the "
            f"currency of account {account.get('Name')} ({currency}); the account's currency "
            f"must match the transaction's.",
            element,
        )


def _require_entity_currency(
    company: Company, entity: Record | None, context: TxnContext, element: str
) -> None:
    if entity is None or "CurrencyRef" not in entity:
        return
    currency = _account_currency(company, entity)
    if currency != context.currency:
        raise errors.business(
            f"The currency of {entity.get('DisplayName')} ({currency}) must match the "
            f"transaction currency ({context.currency}).",
            element,
        )


def _tax_rate_of(company: Company, tax_code: Record, purchase: bool) -> tuple[Decimal, str | None]:
    key = "PurchaseTaxRateList" if purchase else "SalesTaxRateList"
    details = ((tax_code.get(key) or {}).get("TaxRateDetail")) or []
    if not details:
        return Decimal(0), None
    rate_id = str(details[0]["TaxRateRef"]["value"])
    rate = company.find("TaxRate", rate_id)
    return (Decimal(str(rate.get("RateValue", 0))) if rate else Decimal(0)), rate_id


@dataclass
class LineTotals:
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    tax_lines: dict[str, list[Decimal]] = field(default_factory=dict)  # rate id -> [net, tax]


def _tax_line(
    company: Company,
    body: Record,
    line: Record,
    detail: Record,
    element: str,
    purchase: bool,
    totals: LineTotals,
) -> None:
    """Tax on one line: US lines carry TAX/NON only; VAT lines compute tax from the rate."""
    mode = body.get("GlobalTaxCalculation")
    amount = amount_of(line.get("Amount"), f"{element}.Amount")
    if detail.get("TaxCodeRef") is None:
        if company.vat and mode not in (None, "NotApplicable"):
            raise errors.business(
                "Make sure all your transactions have a VAT rate before you save.",
                f"{element}.TaxCodeRef",
            )
        totals.net += amount
        line["Amount"] = money(amount)
        return
    code = resolve(company, detail, "TaxCodeRef", ("TaxCode",), element=f"{element}.TaxCodeRef")
    assert code is not None
    if not company.vat:
        totals.net += amount
        line["Amount"] = money(amount)
        return
    rate, rate_id = _tax_rate_of(company, code, purchase)
    if mode == "TaxInclusive":
        gross = amount
        net = (gross / (1 + rate / 100)).quantize(CENT, ROUND_HALF_UP)
        tax = gross - net
        detail["TaxInclusiveAmt"] = money(gross)
    elif mode == "NotApplicable":
        net, tax = amount, Decimal(0)
    else:
        net = amount
        tax = (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
    line["Amount"] = money(net)
    totals.net += net
    totals.tax += tax
    if rate_id is not None and mode != "NotApplicable":
        bucket = totals.tax_lines.setdefault(rate_id, [Decimal(0), Decimal(0)])
        bucket[0] += net
        bucket[1] += tax


def _tax_detail(company: Company, body: Record, totals: LineTotals) -> None:
    if not company.vat:
        supplied = (body.get("TxnTaxDetail") or {}).get("TotalTax")
        tax = amount_of(supplied, "TxnTaxDetail.TotalTax") if supplied is not None else Decimal(0)
        totals.tax = tax
        body["TxnTaxDetail"] = {"TotalTax": money(tax)}
        return
    if body.get("GlobalTaxCalculation") is None:
        body["GlobalTaxCalculation"] = "TaxExcluded"
    lines = []
    for rate_id, (net, tax) in totals.tax_lines.items():
        rate = company.find("TaxRate", rate_id) or {}
        lines.append(
            {
                "Amount": money(tax),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate_id},
                    "PercentBased": True,
                    "TaxPercent": float(rate.get("RateValue", 0)),
                    "NetAmountTaxable": money(net),
                },
            }
        )
    body["TxnTaxDetail"] = {"TotalTax": money(totals.tax), **({"TaxLine": lines} if lines else {})}


def _lines(body: Record) -> list[Record]:
    lines = body.get("Line")
    if not isinstance(lines, list) or not lines:
        raise errors.required("Line")
    if not all(isinstance(line, dict) for line in lines):
        raise errors.request_not_understood("Every Line must be an object")
    return lines


def _line_detail(line: Record, index: int, detail_type: str) -> tuple[Record, str]:
    """A transaction line's ``DetailType`` must be ``detail_type`` and carry that detail
    object; the detail and its element path for error messages."""
    element = f"Line[{index}]"
    if line.get("DetailType") != detail_type:
        if line.get("DetailType") is None:
            raise errors.required(f"{element}.DetailType")
        raise errors.invalid_enum(f"{element}.DetailType", line.get("DetailType"))
    detail = line.get(detail_type)
    if not isinstance(detail, dict):
        raise errors.required(f"{element}.{detail_type}")
    return detail, f"{element}.{detail_type}"


def _line_account(company: Company, detail: Record, prefix: str, context: TxnContext) -> Record:
    """A line detail's required ``AccountRef``, in a currency the transaction may post to."""
    account = resolve(
        company, detail, "AccountRef", ("Account",), required=True, element=f"{prefix}.AccountRef"
    )
    assert account is not None
    _require_account_currency(company, account, context, f"{prefix}.AccountRef")
    return account


def _number_lines(lines: list[Record]) -> None:
    for index, line in enumerate(lines, start=1):
        line["Id"] = str(index)
        line["LineNum"] = index


def _expense_lines(
    company: Company, body: Record, context: TxnContext, purchase: bool = True
) -> LineTotals:
    totals = LineTotals()
    lines = _lines(body)
    for index, line in enumerate(lines):
        detail, prefix = _line_detail(line, index, "AccountBasedExpenseLineDetail")
        _line_account(company, detail, prefix, context)
        resolve(company, detail, "ClassRef", ("Class",), element=f"{prefix}.ClassRef")
        resolve(company, detail, "CustomerRef", ("Customer",), element=f"{prefix}.CustomerRef")
        _enum(
            detail, "BillableStatus", ("Billable", "NotBillable", "HasBeenBilled"), required=False
        )
        _tax_line(company, body, line, detail, prefix, purchase, totals)
    _number_lines(lines)
    return totals


def _totals(
    body: Record, context: TxnContext, totals: LineTotals, company: Company, home_total: bool
) -> Decimal:
    """``TotalAmt`` (and ``HomeTotalAmt`` on the entities whose XSD has it) from the lines."""
    total = totals.net + totals.tax
    body["TotalAmt"] = money(total)
    if company.multicurrency and home_total:
        body["HomeTotalAmt"] = money(total * context.rate)
    return total


def validate_purchase(
    company: Company, body: Record, previous: Record | None, now: datetime
) -> None:
    payment_type = _enum(body, "PaymentType", PAYMENT_TYPES, required=True)
    context = _transaction_header(company, body, now)
    account = resolve(company, body, "AccountRef", ("Account",), required=True)
    assert account is not None
    if payment_type == "CreditCard" and account["AccountType"] != "Credit Card":
        raise errors.business("CreditCard should specify credit card account.", "AccountRef")
    if payment_type in ("Cash", "Check") and account["AccountType"] != "Bank":
        raise errors.business(f"{payment_type} should specify bank account.", "AccountRef")
    if body.get("Credit") is not None:
        if payment_type != "CreditCard":
            raise errors.business("Credit is valid only for CreditCard payment type.", "Credit")
        _boolean(body, "Credit", False)
    _require_account_currency(company, account, context, "AccountRef")
    entity = None
    if body.get("EntityRef") is not None:
        raw = body["EntityRef"]
        wanted = raw.get("type") if isinstance(raw, dict) else None
        if wanted is not None and wanted not in NAME_LISTS:
            raise errors.invalid_enum("EntityRef.type", wanted)
        kinds = (wanted,) if wanted else NAME_LISTS
        entity = resolve(company, body, "EntityRef", kinds, label=wanted or "Entity")
        if not wanted:
            body["EntityRef"]["type"] = kind_of(company, body["EntityRef"]["value"])
        _require_entity_currency(company, entity, context, "EntityRef")
    resolve(company, body, "PaymentMethodRef", ("PaymentMethod",))
    _length(body, "PaymentRefNum", 21)
    _enum(body, "GlobalTaxCalculation", GLOBAL_TAX, required=False)
    totals = _expense_lines(company, body, context)
    _tax_detail(company, body, totals)
    _totals(body, context, totals, company, home_total=False)


def validate_bill(company: Company, body: Record, previous: Record | None, now: datetime) -> None:
    context = _transaction_header(company, body, now)
    # Only a Vendor can be billed: an Employee's id is not a Vendor reference.
    vendor = resolve(company, body, "VendorRef", ("Vendor",), required=True)
    _require_entity_currency(company, vendor, context, "VendorRef")
    if body.get("APAccountRef") is not None:
        ap = resolve(company, body, "APAccountRef", ("Account",))
        assert ap is not None
        if ap["AccountType"] != "Accounts Payable":
            raise errors.business(
                "APAccountRef must refer to an Accounts Payable account.", "APAccountRef"
            )
    else:
        ap = company.first("Account", AccountType="Accounts Payable", Active=True)
        if ap is not None:
            body["APAccountRef"] = {"value": ap["Id"], "name": ap["Name"]}
    resolve(company, body, "SalesTermRef", ("Term",))
    _enum(body, "GlobalTaxCalculation", GLOBAL_TAX, required=False)
    due = body.get("DueDate")
    body["DueDate"] = str(due)[:10] if due else body["TxnDate"]
    totals = _expense_lines(company, body, context)
    _tax_detail(company, body, totals)
    total = _totals(body, context, totals, company, home_total=False)
    paid = _paid(company, previous["Id"]) if previous else Decimal(0)
    if paid > total:
        raise errors.business(
            f"The bill total ({money(total)}) is less than the payments applied to it "
            f"({money(paid)}).",
            "Line",
        )
    body["Balance"] = money(total - paid)
    if company.multicurrency:
        body["HomeBalance"] = money((total - paid) * context.rate)


def validate_transfer(
    company: Company, body: Record, previous: Record | None, now: datetime
) -> None:
    context = _transaction_header(company, body, now)
    source = resolve(company, body, "FromAccountRef", ("Account",), required=True)
    target = resolve(company, body, "ToAccountRef", ("Account",), required=True)
    assert source is not None
    assert target is not None
    for account, element in ((source, "FromAccountRef"), (target, "ToAccountRef")):
        if account["Classification"] not in BALANCE_SHEET:
            raise errors.business(
                f"{account['Name']} must be a Balance Sheet account for a transfer.", element
            )
    if source["Id"] == target["Id"]:
        raise errors.business("Transfer accounts must be different.", "ToAccountRef")
    currencies = {_account_currency(company, source), _account_currency(company, target)}
    foreign = currencies - {company.home_currency}
    if len(foreign) > 1:
        raise errors.business(
            "You can only transfer between accounts in the home currency and one other currency.",
            "ToAccountRef",
        )
    expected = next(iter(foreign), company.home_currency)
    if body.get("CurrencyRef") is not None and context.currency not in (
        expected,
        company.home_currency,
    ):
        raise errors.business("The transfer currency must match the accounts' currency.")
    resolve(company, body, "ClassRef", ("Class",))
    amount = amount_of(body.get("Amount"), "Amount")
    if amount < 0:
        raise errors.business("Amount must not be negative.", "Amount")
    body["Amount"] = money(amount)


def _journal_entity(company: Company, detail: Record, prefix: str) -> str | None:
    """Check a journal line's ``Entity {Type, EntityRef}``; the entity's type, if any."""
    holder = detail.get("Entity")
    if not isinstance(holder, dict) or holder.get("EntityRef") is None:
        return None
    wanted = holder.get("Type")
    if wanted is not None and wanted not in NAME_LISTS:
        raise errors.invalid_enum(f"{prefix}.Entity.Type", wanted)
    resolve(
        company,
        holder,
        "EntityRef",
        (wanted,) if wanted else NAME_LISTS,
        element=f"{prefix}.Entity.EntityRef",
    )
    holder["Type"] = wanted or kind_of(company, holder["EntityRef"]["value"])
    return str(holder["Type"])


def validate_journal_entry(
    company: Company, body: Record, previous: Record | None, now: datetime
) -> None:
    context = _transaction_header(company, body, now)
    lines = _lines(body)
    debits = credits = Decimal(0)
    for index, line in enumerate(lines):
        element = f"Line[{index}]"
        detail, prefix = _line_detail(line, index, "JournalEntryLineDetail")
        posting = _enum(detail, "PostingType", ("Debit", "Credit"), required=True)
        account = _line_account(company, detail, prefix, context)
        entity_type = _journal_entity(company, detail, prefix)
        required_party = {"Accounts Payable": "Vendor", "Accounts Receivable": "Customer"}.get(
            account["AccountType"]
        )
        if required_party is not None and entity_type != required_party:
            raise errors.business(
                f"When you use {account['AccountType']}, you must choose a "
                f"{required_party.lower()} in the Name field.",
                f"{prefix}.Entity",
            )
        resolve(company, detail, "ClassRef", ("Class",), element=f"{prefix}.ClassRef")
        resolve(
            company, detail, "DepartmentRef", ("Department",), element=f"{prefix}.DepartmentRef"
        )
        resolve(company, detail, "TaxCodeRef", ("TaxCode",), element=f"{prefix}.TaxCodeRef")
        amount = amount_of(line.get("Amount"), f"{element}.Amount")
        if amount < 0:
            raise errors.business("Journal entry line amounts must not be negative.", element)
        line["Amount"] = money(amount)
        if posting == "Debit":
            debits += amount
        else:
            credits += amount
    if debits.quantize(CENT) != credits.quantize(CENT):
        raise errors.validation(
            "Transaction Not Balanced",
            f"You must balance your debits and credits. Debits: {money(debits)}, "
            f"credits: {money(credits)}.",
            "6000",
            "Line",
        )
    _number_lines(lines)
    body["TotalAmt"] = money(debits)
    if company.multicurrency:
        body["HomeTotalAmt"] = money(debits * context.rate)


def validate_deposit(
    company: Company, body: Record, previous: Record | None, now: datetime
) -> None:
    context = _transaction_header(company, body, now)
    account = resolve(company, body, "DepositToAccountRef", ("Account",), required=True)
    assert account is not None
    if account["AccountType"] not in ("Bank", "Other Current Asset"):
        raise errors.business(
            "DepositToAccountRef must be a Bank or Other Current Asset account.",
            "DepositToAccountRef",
        )
    _require_account_currency(company, account, context, "DepositToAccountRef")
    _enum(body, "GlobalTaxCalculation", GLOBAL_TAX, required=False)
    totals = LineTotals()
    lines = _lines(body)
    for index, line in enumerate(lines):
        detail, prefix = _line_detail(line, index, "DepositLineDetail")
        _line_account(company, detail, prefix, context)
        entity = resolve(company, detail, "Entity", NAME_LISTS, element=f"{prefix}.Entity")
        if entity is not None:
            detail["Entity"]["type"] = kind_of(company, detail["Entity"]["value"])
            _require_entity_currency(company, entity, context, f"{prefix}.Entity")
        resolve(company, detail, "ClassRef", ("Class",), element=f"{prefix}.ClassRef")
        resolve(company, detail, "PaymentMethodRef", ("PaymentMethod",))
        _tax_line(company, body, line, detail, prefix, False, totals)
    _number_lines(lines)
    _tax_detail(company, body, totals)
    _totals(body, context, totals, company, home_total=True)


def _paid(company: Company, bill_id: str, skip_payment: str | None = None) -> Decimal:
    """What bill payments have applied to one bill."""
    paid = Decimal(0)
    for payment in company.table("BillPayment").values():
        if payment["Id"] == skip_payment:
            continue
        for line in payment.get("Line") or []:
            for linked in line.get("LinkedTxn") or []:
                if linked.get("TxnType") == "Bill" and str(linked.get("TxnId")) == bill_id:
                    paid += Decimal(str(line.get("Amount", 0)))
    return paid


def refresh_bill_balances(company: Company) -> None:
    for bill in company.table("Bill").values():
        balance = Decimal(str(bill["TotalAmt"])) - _paid(company, bill["Id"])
        bill["Balance"] = money(balance)
        if "HomeBalance" in bill:
            bill["HomeBalance"] = money(balance * Decimal(str(bill.get("ExchangeRate", 1))))


def validate_bill_payment(
    company: Company, body: Record, previous: Record | None, now: datetime
) -> None:
    context = _transaction_header(company, body, now)
    vendor = resolve(company, body, "VendorRef", ("Vendor",), required=True)
    assert vendor is not None
    _require_entity_currency(company, vendor, context, "VendorRef")
    pay_type = _enum(body, "PayType", ("Check", "CreditCard"), required=True)
    if pay_type == "Check":
        holder, key, account_type = "CheckPayment", "BankAccountRef", "Bank"
    else:
        holder, key, account_type = "CreditCardPayment", "CCAccountRef", "Credit Card"
    detail = body.get(holder)
    if not isinstance(detail, dict):
        raise errors.required(f"{holder}.{key}")
    account = resolve(company, detail, key, ("Account",), required=True, element=f"{holder}.{key}")
    assert account is not None
    if account["AccountType"] != account_type:
        raise errors.business(
            f"{holder}.{key} must be a {account_type} account.", f"{holder}.{key}"
        )
    _require_account_currency(company, account, context, f"{holder}.{key}")
    body.pop("CreditCardPayment" if pay_type == "Check" else "CheckPayment", None)
    total = amount_of(body.get("TotalAmt"), "TotalAmt")
    applied = Decimal(0)
    for index, line in enumerate(_lines(body)):
        amount = amount_of(line.get("Amount"), f"Line[{index}].Amount")
        links = line.get("LinkedTxn")
        if not isinstance(links, list) or not links:
            raise errors.required(f"Line[{index}].LinkedTxn")
        for linked in links:
            if not isinstance(linked, dict) or linked.get("TxnType") != "Bill":
                raise errors.invalid_enum(
                    f"Line[{index}].LinkedTxn.TxnType", (linked or {}).get("TxnType")
                )
            bill = company.find("Bill", str(linked.get("TxnId")))
            if bill is None:
                raise errors.invalid_reference("Bill", str(linked.get("TxnId")), "LinkedTxn")
            if bill["VendorRef"]["value"] != vendor["Id"]:
                raise errors.business("The bill belongs to another vendor.", "LinkedTxn")
            owed = Decimal(str(bill["TotalAmt"])) - _paid(
                company, bill["Id"], previous["Id"] if previous else None
            )
            if amount > owed:
                raise errors.business(
                    f"The payment ({money(amount)}) is more than the bill's open balance "
                    f"({money(owed)}).",
                    "LinkedTxn",
                )
        line["Amount"] = money(amount)
        applied += amount
    if applied > total:
        raise errors.business("The lines apply more than the payment's TotalAmt.", "TotalAmt")
    body["TotalAmt"] = money(total)


for _kind in (
    EntityKind("Account", validate_account, name_list=True),
    EntityKind("Vendor", _name_entity("Vendor"), name_list=True),
    EntityKind("Customer", _name_entity("Customer"), name_list=True),
    EntityKind("Employee", _name_entity("Employee"), name_list=True),
    EntityKind("Class", _plain_list("Class", "SubClass"), name_list=True),
    EntityKind("Department", _plain_list("Department", "SubDepartment"), name_list=True),
    EntityKind("TaxCode", None, name_list=True),
    EntityKind("TaxRate", None, name_list=True),
    EntityKind("CompanyCurrency", validate_company_currency, name_list=True),
    EntityKind("Attachable", validate_attachable, deletable=True),
    EntityKind("Purchase", validate_purchase, transaction=True, deletable=True),
    EntityKind("Bill", validate_bill, transaction=True, deletable=True),
    EntityKind(
        "BillPayment",
        validate_bill_payment,
        deletable=True,
        after_change=refresh_bill_balances,
    ),
    EntityKind("Transfer", validate_transfer, transaction=True, deletable=True),
    EntityKind("JournalEntry", validate_journal_entry, transaction=True, deletable=True),
    EntityKind("Deposit", validate_deposit, transaction=True, deletable=True),
):
    _register(_kind)


def exchange_rate(company: Company, source: str | None, as_of: str | None, now: datetime) -> Record:
    """``GET /exchangerate``: home-currency units per unit of ``source`` (the company's rate)."""
    if not source:
        raise errors.required("sourcecurrencycode")
    code = source.upper()
    if code != company.home_currency and code not in company.currencies():
        raise errors.invalid_reference("Currency", code, "sourcecurrencycode")
    rate = Decimal(1) if code == company.home_currency else company.exchange_rates.get(code)
    if rate is None:
        raise errors.object_not_found(f"No exchange rate for {code}")
    day = as_of or company.today(now).isoformat()
    return {
        "SourceCurrencyCode": code,
        "TargetCurrencyCode": company.home_currency,
        "Rate": float(rate),
        "AsOfDate": day,
        "SyncToken": "0",
        "MetaData": {"LastUpdatedTime": company.timestamp(now)},
    }


# --------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------
class QboBackend:
    """All companies (realms) of one sandbox process, rebuilt from the seed on reset."""

    def __init__(self, factory: Callable[[], list[Company]]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self.companies: dict[str, Company] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.companies = {company.realm_id: company for company in self._factory()}

    def company(self, realm_id: str) -> Company | None:
        return self.companies.get(realm_id.strip())

    def add(self, company: Company) -> Company:
        """Another company (until the next reset), e.g. one per company in a load test."""
        with self._lock:
            return self.companies.setdefault(company.realm_id, company)

    def company_names(self) -> dict[str, str]:
        return {realm_id: company.name for realm_id, company in self.companies.items()}
