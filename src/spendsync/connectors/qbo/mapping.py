"""Pure translation between QuickBooks Online's JSON (XSD element names) and spendsync's shapes.

QBO facts used here (../shared/reference/platforms.md §2, ../shared/specs/qbo/*.xsd):

- Accounts carry an `AccountType` ("Bank", "Credit Card", "Expense", …) and a `Classification`
  (Asset, Liability, Equity, Revenue, Expense); sub-accounts name their parent in
  `FullyQualifiedName` ("Travel:Airfare"), which is the name spendsync shows.
- Tax: US companies use automated sales tax with the codes `TAX` and `NON`; other companies
  have VAT/GST codes whose `PurchaseTaxRateList` / `SalesTaxRateList` point at `TaxRate`s. A
  spendsync tax rate is a QBO TaxCode with its effective rate.
- Classes (line level, `ClassRef`) and Departments ("Locations", transaction level,
  `DepartmentRef`) are the tracking categories, each a tree.
- Vendors are suppliers and Customers customers; Employees are listed as suppliers too (ids
  `employee-<Id>`), because reimbursable expenses are owed to them. QBO cannot bill an
  Employee, so a bill goes to a Vendor that stands for the employee.
- Card spend is a `Purchase` (`PaymentType` CreditCard on a Credit Card account, Cash on a
  Bank account); money back on a card is a Purchase with `Credit: true`, on a bank account a
  `Deposit`. Transfers are `Transfer`s, reimbursables `Bill`s, adjustments `JournalEntry`s.
- `ExchangeRate` is home-currency units per foreign unit: Codat's `currencyRate` as is.
- Updates carry `Id` + `SyncToken`, which the connector adds; nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from spendsync.connectors.base import CompanyInformation
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerAccount,
    LedgerContact,
    LedgerTaxRate,
    LedgerTrackingCategory,
    NewAccount,
    RecordStatus,
)
from spendsync.ledger.model import TrackingDataType, TrackingRef
from spendsync.ledger.posting import Direction, PlanKind, Posting, PostingKind, PostingPlan

Json = dict[str, Any]

EMPLOYEE_PREFIX = "employee-"
CLASS_PREFIX = "class-"
DEPARTMENT_PREFIX = "department-"
CLASS_ROOT = "classes"
DEPARTMENT_ROOT = "departments"
US_NO_TAX_CODE = "NON"  # Codat's default no-tax code on QBO
MAX_DOC_NUMBER = 21
MAX_PRIVATE_NOTE = 4000
MAX_DISPLAY_NAME = 100

_CLASSIFICATION_TYPE = {
    "Asset": AccountType.ASSET,
    "Liability": AccountType.LIABILITY,
    "Equity": AccountType.EQUITY,
    "Revenue": AccountType.INCOME,
    "Expense": AccountType.EXPENSE,
}
# AccountType → classification, for records that leave Classification out.
_TYPE_CLASSIFICATION = {
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
}

# Where a new account goes: Codat's fullyQualifiedCategory (as account_from_qbo reports it)
# → QBO's AccountType, which is also the name QBO shows for it.
QBO_TYPE_BY_CATEGORY: dict[str, str] = {
    "Asset.OtherCurrentAsset": "Other Current Asset",
    "Asset.FixedAsset": "Fixed Asset",
    "Asset.OtherAsset": "Other Asset",
    "Liability.OtherCurrentLiability": "Other Current Liability",
    "Liability.LongTermLiability": "Long Term Liability",
    "Equity.Equity": "Equity",
    "Income.Income": "Income",
    "Income.OtherIncome": "Other Income",
    "Expense.CostOfGoodsSold": "Cost of Goods Sold",
    "Expense.Expense": "Expense",
    "Expense.OtherExpense": "Other Expense",
}
BANK_CATEGORIES = {"Asset.Bank": "Bank", "Liability.CreditCard": "Credit Card"}


class Unmappable(ValueError):
    """A transaction QBO cannot take as it stands; the message says why."""


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def parse_qbo_time(value: str | None) -> datetime | None:
    """QBO's `2024-01-01T04:00:00-08:00` → an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def qbo_time(moment: datetime) -> str:
    """An instant as QBO's query language compares it."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def _modified(raw: Json) -> datetime | None:
    return parse_qbo_time((raw.get("MetaData") or {}).get("LastUpdatedTime"))


def _status(raw: Json) -> RecordStatus:
    return RecordStatus.ACTIVE if raw.get("Active", True) else RecordStatus.ARCHIVED


def _ref(raw: Any) -> str | None:
    if isinstance(raw, dict) and raw.get("value") not in (None, ""):
        return str(raw["value"])
    return None


def account_from_qbo(raw: Json, home_currency: str) -> LedgerAccount:
    qbo_type = str(raw.get("AccountType") or "")
    classification = str(raw.get("Classification") or _TYPE_CLASSIFICATION.get(qbo_type, ""))
    account_type = _CLASSIFICATION_TYPE.get(classification, AccountType.EXPENSE)
    bank_kind = {"Bank": BankKind.BANK, "Credit Card": BankKind.CREDIT_CARD}.get(
        qbo_type, BankKind.NONE
    )
    category_name = "".join(word.capitalize() for word in qbo_type.replace("/", " ").split())
    return LedgerAccount(
        id=str(raw["Id"]),
        name=str(raw.get("FullyQualifiedName") or raw.get("Name") or raw["Id"]),
        account_type=account_type,
        category=f"{account_type.value}.{category_name or 'Other'}",
        currency=_ref(raw.get("CurrencyRef")) or home_currency,
        nominal_code=raw.get("AcctNum") or None,
        bank_kind=bank_kind,
        status=_status(raw),
        modified=_modified(raw),
    )


def _rate_list(code: Json, key: str, rates: dict[str, Json]) -> list[Decimal] | None:
    """The rates (percent) of a code's purchase or sales list; None when it has no list."""
    details = (code.get(key) or {}).get("TaxRateDetail")
    if not details:
        return None
    found = []
    for detail in details:
        rate = rates.get(_ref(detail.get("TaxRateRef")) or "")
        found.append(Decimal(str(rate.get("RateValue") or 0)) if rate else Decimal(0))
    return found


def tax_rate_from_qbo(code: Json, rates: dict[str, Json]) -> LedgerTaxRate:
    """A TaxCode with its effective rate. VAT codes add up their purchase rates (or sales
    rates for a sales-only code); US automated sales tax codes (`TAX`, `NON`) have no rates of
    their own (QBO computes sales tax per address), so they report 0 and serve both sides."""
    purchase = _rate_list(code, "PurchaseTaxRateList", rates)
    sales = _rate_list(code, "SalesTaxRateList", rates)
    components = purchase if purchase is not None else (sales or [])
    total = sum(components, Decimal(0))
    has_lists = purchase is not None or sales is not None
    return LedgerTaxRate(
        id=str(code["Id"]),
        name=str(code.get("Name") or code["Id"]),
        code=str(code.get("Name") or code["Id"]),
        effective_rate=total,
        total_rate=total,
        for_purchases=purchase is not None or not has_lists,
        for_sales=sales is not None or not has_lists,
        status=_status(code),
        modified=_modified(code),
    )


def _tree(
    records: list[Json], prefix: str, root_id: str, root_name: str
) -> list[LedgerTrackingCategory]:
    """One QBO list (Class or Department) as a tree under a root of our own."""
    if not records:
        return []
    parents = {_ref(r.get("ParentRef")) for r in records if r.get("ParentRef")}
    found = [
        LedgerTrackingCategory(id=root_id, name=root_name, has_children=True),
    ]
    for raw in records:
        parent = _ref(raw.get("ParentRef"))
        found.append(
            LedgerTrackingCategory(
                id=f"{prefix}{raw['Id']}",
                name=str(raw.get("FullyQualifiedName") or raw.get("Name") or raw["Id"]),
                parent_id=f"{prefix}{parent}" if parent else root_id,
                has_children=str(raw["Id"]) in parents,
                status=_status(raw),
                modified=_modified(raw),
            )
        )
    return found


def tracking_from_qbo(
    classes: list[Json], departments: list[Json], department_label: str = "Location"
) -> list[LedgerTrackingCategory]:
    """Classes (`class-<Id>`) and departments (`department-<Id>`), each list under a root."""
    return [
        *_tree(classes, CLASS_PREFIX, CLASS_ROOT, "Class"),
        *_tree(departments, DEPARTMENT_PREFIX, DEPARTMENT_ROOT, department_label or "Location"),
    ]


def _email(raw: Json) -> str | None:
    address = (raw.get("PrimaryEmailAddr") or {}).get("Address")
    return str(address) if address else None


def contact_from_qbo(raw: Json, entity: str) -> LedgerContact:
    """A Vendor, Customer or Employee (an employee serves as a supplier, id `employee-<Id>`)."""
    record_id = str(raw["Id"])
    name = raw.get("DisplayName") or " ".join(
        part for part in (raw.get("GivenName"), raw.get("FamilyName")) if part
    )
    return LedgerContact(
        id=f"{EMPLOYEE_PREFIX}{record_id}" if entity == "Employee" else record_id,
        name=str(name or record_id),
        is_supplier=entity in ("Vendor", "Employee"),
        is_customer=entity == "Customer",
        currency=_ref(raw.get("CurrencyRef")),
        email=_email(raw),
        tax_number=raw.get("TaxIdentifier") or raw.get("PrimaryTaxIdentifier") or None,
        status=_status(raw),
        modified=_modified(raw),
    )


def contact_to_qbo(contact: LedgerContact) -> Json:
    """A Vendor or Customer body (the connector adds Id + SyncToken for an update)."""
    body: Json = {
        "DisplayName": contact.name[:MAX_DISPLAY_NAME],
        "Active": contact.status is RecordStatus.ACTIVE,
    }
    if contact.email:
        body["PrimaryEmailAddr"] = {"Address": contact.email}
    if contact.currency:
        body["CurrencyRef"] = {"value": contact.currency}
    if contact.tax_number and contact.is_supplier:
        body["TaxIdentifier"] = contact.tax_number
    return body


def company_info_from_qbo(info: Json, preferences: Json) -> CompanyInformation:
    currency = preferences.get("CurrencyPrefs") or {}
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    start_month = info.get("FiscalYearStartMonth")
    year_start = (
        datetime(2000, months.index(start_month) + 1, 1, tzinfo=UTC)
        if start_month in months
        else None
    )
    return CompanyInformation(
        company_name=str(info.get("CompanyName") or info.get("LegalName") or ""),
        base_currency=_ref(currency.get("HomeCurrency")) or "USD",
        accounting_platform_ref=None,
        registration_number=info.get("EmployerId") or None,
        financial_year_start_date=year_start,
        source_urls={},
        created_date=parse_qbo_time((info.get("MetaData") or {}).get("CreateTime")),
    )


def account_to_qbo(account: NewAccount) -> Json:
    """A new account as `POST /account` takes it; bank and card accounts by their type."""
    qbo_type = (
        BANK_CATEGORIES.get(account.category)
        or QBO_TYPE_BY_CATEGORY.get(account.category)
        or (
            "Credit Card"
            if account.bank_kind is BankKind.CREDIT_CARD
            else "Bank"
            if account.bank_kind is BankKind.BANK
            else None
        )
    )
    if qbo_type is None:
        raise Unmappable(f"QuickBooks has no account type for {account.category}.")
    body: Json = {"Name": account.name[:100], "AccountType": qbo_type}
    if account.nominal_code:
        body["AcctNum"] = account.nominal_code
    if account.description:
        body["Description"] = account.description[:100]
    if account.currency:
        body["CurrencyRef"] = {"value": account.currency}
    return body


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Books:
    """What a write needs to know about the company: home currency and its preferences, the
    type of each account (`Bank`, `Credit Card`, …), and whether tax codes are VAT ones."""

    home_currency: str
    multicurrency: bool
    vat: bool
    account_types: dict[str, str] = field(default_factory=dict)


def _amount(value: Decimal) -> float:
    """QBO takes amounts as JSON numbers."""
    return float(value)


def _text(*parts: str | None) -> str | None:
    joined = " - ".join(p for p in parts if p)
    return joined[:MAX_PRIVATE_NOTE] or None


def _currency(plan: PostingPlan, books: Books) -> Json:
    """`CurrencyRef` + `ExchangeRate` where the company keeps currencies."""
    if plan.currency != books.home_currency and not books.multicurrency:
        raise Unmappable(
            f"Multicurrency is off in this QuickBooks company; it cannot record "
            f"{plan.currency} (home currency {books.home_currency})."
        )
    if not books.multicurrency:
        return {}
    fields: Json = {"CurrencyRef": {"value": plan.currency}}
    if plan.currency != books.home_currency and plan.rate:
        fields["ExchangeRate"] = float(plan.rate)
    return fields


def _lines(plan: PostingPlan) -> list[Posting]:
    return sorted(plan.of_kind(PostingKind.LINE), key=lambda p: p.line_index or 0)


def _department(plan: PostingPlan) -> Json:
    """QBO takes one department (location) per transaction: the one the lines name."""
    found = {
        ref.id.removeprefix(DEPARTMENT_PREFIX)
        for posting in plan.postings
        for ref in posting.tracking
        if ref.data_type is TrackingDataType.TRACKING_CATEGORIES
        and ref.id.startswith(DEPARTMENT_PREFIX)
    }
    if len(found) > 1:
        raise Unmappable(
            "QuickBooks takes one location (department) per transaction; the lines name "
            f"{len(found)}."
        )
    return {"DepartmentRef": {"value": found.pop()}} if found else {}


def _class(refs: tuple[TrackingRef, ...]) -> Json:
    classes = [
        ref.id.removeprefix(CLASS_PREFIX)
        for ref in refs
        if ref.data_type is TrackingDataType.TRACKING_CATEGORIES and ref.id.startswith(CLASS_PREFIX)
    ]
    if len(classes) > 1:
        raise Unmappable("QuickBooks takes one class per line.")
    return {"ClassRef": {"value": classes[0]}} if classes else {}


def _customer(posting: Posting) -> Json:
    """A billable line names the customer it is re-billed to; a customer in the tracking
    refs is recorded without billing it."""
    if posting.invoice_to is not None:
        return {"CustomerRef": {"value": posting.invoice_to.id}, "BillableStatus": "Billable"}
    customers = [r.id for r in posting.tracking if r.data_type is TrackingDataType.CUSTOMERS]
    if customers:
        return {"CustomerRef": {"value": customers[0]}, "BillableStatus": "NotBillable"}
    return {}


def _account(posting: Posting, what: str) -> str:
    if not isinstance(posting.account, str):
        raise Unmappable(f"The {what} names no account ({posting.account.value}).")
    return posting.account


def _tax_code(posting: Posting, books: Books) -> Json:
    if posting.tax_rate_id:
        return {"TaxCodeRef": {"value": posting.tax_rate_id}}
    return {} if books.vat else {"TaxCodeRef": {"value": US_NO_TAX_CODE}}


def _tax_fields(plan: PostingPlan, books: Books) -> Json:
    """VAT companies compute each line's tax from its code on the net amount (TaxExcluded;
    NotApplicable when no line has a code). US companies take the tax as the total tax."""
    lines = _lines(plan)
    if books.vat:
        taxed = any(p.tax_rate_id for p in lines)
        return {"GlobalTaxCalculation": "TaxExcluded" if taxed else "NotApplicable"}
    tax = sum((p.line_tax.amount for p in lines if p.line_tax), Decimal(0))
    return {"TxnTaxDetail": {"TotalTax": _amount(tax)}} if tax else {}


def expense_lines(plan: PostingPlan, books: Books, description: str | None) -> list[Json]:
    """The plan's LINE postings as account-based expense lines, net of tax."""
    found = []
    for posting in _lines(plan):
        detail: Json = {
            "AccountRef": {"value": _account(posting, "line")},
            **_tax_code(posting, books),
            **_class(posting.tracking),
            **_customer(posting),
        }
        line: Json = {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": _amount(posting.amount.amount),
            "AccountBasedExpenseLineDetail": detail,
        }
        text = posting.description or description
        if text:
            line["Description"] = text[:MAX_PRIVATE_NOTE]
        found.append(line)
    return found


def _entity_ref(contact_id: str, contact_type: str) -> Json:
    if contact_id.startswith(EMPLOYEE_PREFIX):
        return {"value": contact_id.removeprefix(EMPLOYEE_PREFIX), "type": "Employee"}
    return {"value": contact_id, "type": "Customer" if contact_type == "Customer" else "Vendor"}


def _header(plan: PostingPlan, books: Books) -> Json:
    header: Json = {"TxnDate": plan.date.isoformat(), **_currency(plan, books)}
    if plan.reference:
        header["DocNumber"] = plan.reference[:MAX_DOC_NUMBER]
    return header


def is_money_back(plan: PostingPlan) -> bool:
    return plan.kind in (PlanKind.REFUND, PlanKind.REWARD, PlanKind.CHARGEBACK)


def bank_account_of(plan: PostingPlan) -> str:
    [bank] = plan.of_kind(PostingKind.BANK)
    return _account(bank, "bank or card account")


def expense_record_type(plan: PostingPlan, books: Books) -> str:
    """`Purchase`, or `Deposit` for money coming back into a bank (not card) account."""
    account_type = books.account_types.get(bank_account_of(plan))
    if account_type not in ("Bank", "Credit Card"):
        raise Unmappable(
            f"Account {bank_account_of(plan)} is not a QuickBooks bank or credit card account."
        )
    return "Deposit" if account_type == "Bank" and is_money_back(plan) else "Purchase"


def purchase(plan: PostingPlan, books: Books) -> Json:
    """A card or bank expense plan as a Purchase: Payment is a charge; Refund, Reward and
    Chargeback on a card are a credit (`Credit: true`)."""
    bank = bank_account_of(plan)
    card = books.account_types.get(bank) == "Credit Card"
    body: Json = {
        "PaymentType": "CreditCard" if card else "Cash",
        "AccountRef": {"value": bank},
        **_header(plan, books),
        **_department(plan),
        **_tax_fields(plan, books),
        "Line": expense_lines(plan, books, None),
    }
    if card:
        body["Credit"] = is_money_back(plan)
    if plan.counterparty is not None:
        body["EntityRef"] = _entity_ref(plan.counterparty.id, plan.counterparty.type)
    note = _text(plan.merchant_name, plan.memo)
    if note:
        body["PrivateNote"] = note
    return body


def deposit(plan: PostingPlan, books: Books) -> Json:
    """Money back into a bank account (a debit card refund, reward or chargeback)."""
    entity = (
        _entity_ref(plan.counterparty.id, plan.counterparty.type)
        if plan.counterparty is not None
        else None
    )
    lines = []
    for posting in _lines(plan):
        detail: Json = {
            "AccountRef": {"value": _account(posting, "line")},
            **_tax_code(posting, books),
            **_class(posting.tracking),
        }
        if entity is not None:
            detail["Entity"] = {"value": entity["value"]}
        line: Json = {
            "DetailType": "DepositLineDetail",
            "Amount": _amount(posting.amount.amount),
            "DepositLineDetail": detail,
        }
        if posting.description or plan.merchant_name:
            line["Description"] = (posting.description or plan.merchant_name or "")[:4000]
        lines.append(line)
    body: Json = {
        "DepositToAccountRef": {"value": bank_account_of(plan)},
        **_header(plan, books),
        **_department(plan),
        **_tax_fields(plan, books),
        "Line": lines,
    }
    note = _text(plan.merchant_name, plan.memo)
    if note:
        body["PrivateNote"] = note
    return body


def transfer(plan: PostingPlan, books: Books) -> Json:
    """A transfer plan: QBO moves `Amount` in the plan's currency (the foreign side of a
    cross-currency transfer, at the implied rate)."""
    [source] = plan.of_kind(PostingKind.TRANSFER_FROM)
    [target] = plan.of_kind(PostingKind.TRANSFER_TO)
    body: Json = {
        "FromAccountRef": {"value": _account(source, "from account")},
        "ToAccountRef": {"value": _account(target, "to account")},
        "Amount": _amount(plan.total.amount),
        "TxnDate": plan.date.isoformat(),
        **_currency(plan, books),
    }
    if plan.memo:
        body["PrivateNote"] = plan.memo[:MAX_PRIVATE_NOTE]
    return body


def bill(plan: PostingPlan, books: Books, vendor_id: str) -> Json:
    """A reimbursable plan: a bill owed to the vendor that stands for the employee."""
    assert plan.due_date is not None
    body: Json = {
        "VendorRef": {"value": vendor_id},
        **_header(plan, books),
        "DueDate": plan.due_date.isoformat(),
        **_department(plan),
        **_tax_fields(plan, books),
        "Line": expense_lines(plan, books, plan.memo),
    }
    [payable] = plan.of_kind(PostingKind.PAYABLE)
    if isinstance(payable.account, str):
        body["APAccountRef"] = {"value": payable.account}
    if plan.memo:
        body["PrivateNote"] = plan.memo[:MAX_PRIVATE_NOTE]
    return body


def _journal_entity(posting: Posting) -> Json:
    for ref in posting.tracking:
        if ref.data_type is TrackingDataType.SUPPLIERS:
            return {"Entity": {"Type": "Vendor", "EntityRef": {"value": ref.id}}}
        if ref.data_type is TrackingDataType.CUSTOMERS:
            return {"Entity": {"Type": "Customer", "EntityRef": {"value": ref.id}}}
    if posting.invoice_to is not None:
        return {"Entity": {"Type": "Customer", "EntityRef": {"value": posting.invoice_to.id}}}
    return {}


def journal_entry(plan: PostingPlan, books: Books) -> Json:
    """An adjustment plan: one line per posting, in the transaction currency (QBO converts at
    `ExchangeRate`), debits and credits as PostingType with positive amounts."""
    lines = []
    for posting in sorted(plan.of_kind(PostingKind.JOURNAL), key=lambda p: p.line_index or 0):
        detail: Json = {
            "PostingType": "Debit" if posting.direction is Direction.DEBIT else "Credit",
            "AccountRef": {"value": _account(posting, "journal line")},
            **_class(posting.tracking),
            **_journal_entity(posting),
        }
        departments = [
            r.id.removeprefix(DEPARTMENT_PREFIX)
            for r in posting.tracking
            if r.data_type is TrackingDataType.TRACKING_CATEGORIES
            and r.id.startswith(DEPARTMENT_PREFIX)
        ]
        if departments:
            detail["DepartmentRef"] = {"value": departments[0]}
        line: Json = {
            "DetailType": "JournalEntryLineDetail",
            "Amount": _amount(posting.amount.amount),
            "JournalEntryLineDetail": detail,
        }
        if posting.description:
            line["Description"] = posting.description[:MAX_PRIVATE_NOTE]
        lines.append(line)
    body: Json = {**_header(plan, books), "Line": lines}
    body["PrivateNote"] = (plan.reference or f"Adjustment {plan.transaction_id}")[:MAX_PRIVATE_NOTE]
    return body


def employee_vendor_name(employee_name: str, currency: str, home_currency: str) -> str:
    """The vendor a bill to an employee goes to (QBO bills only vendors, and a display name is
    unique across vendors, customers and employees); one per currency, as Codat does."""
    suffix = " (expenses)" if currency == home_currency else f" (expenses, {currency})"
    return employee_name[: MAX_DISPLAY_NAME - len(suffix)] + suffix


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------
def fault_errors(payload: Any) -> list[Json]:
    fault = payload.get("Fault") if isinstance(payload, dict) else None
    if not isinstance(fault, dict):
        return []
    errors = fault.get("Error") or []
    return [e for e in errors if isinstance(e, dict)]


def fault_codes(payload: Any) -> set[str]:
    return {str(e.get("code") or "") for e in fault_errors(payload)}


def fault_message(payload: Any) -> str:
    """QBO's own words: each error's Message and Detail (the element when it names one)."""
    parts = []
    for error in fault_errors(payload):
        message, detail = error.get("Message") or "", error.get("Detail") or ""
        text = f"{message}: {detail}" if message and detail and detail != message else message
        text = text or detail
        if error.get("element"):
            text = f"{text} ({error['element']})"
        if text:
            parts.append(str(text))
    return "; ".join(parts) or "QuickBooks refused the record without a reason."
