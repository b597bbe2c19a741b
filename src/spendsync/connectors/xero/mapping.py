"""Pure translation between Xero's JSON (vendor casing) and spendsync's ledger shapes.

Xero facts used here (../shared/reference/platforms.md §1): accounts have a Class (ASSET,
LIABILITY, EXPENSE, REVENUE, EQUITY) and credit cards are BANK accounts with BankAccountType
CREDITCARD; tax rates are addressed by TaxType and say which account classes they apply to;
tracking categories hold options (a line's tracking names an option); dates are MS-JSON
`/Date(1551139200000+0000)/`; card spend is a SPEND bank transaction and money coming back a
RECEIVE one; transfers are BankTransfers; bills are ACCPAY invoices; journals must balance.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")

_CLASS_TO_TYPE = {
    "ASSET": AccountType.ASSET,
    "LIABILITY": AccountType.LIABILITY,
    "EXPENSE": AccountType.EXPENSE,
    "REVENUE": AccountType.INCOME,
    "EQUITY": AccountType.EQUITY,
}
_TYPE_CATEGORY = {
    "BANK": "Bank",
    "CURRENT": "Current",
    "CURRLIAB": "CurrentLiability",
    "DEPRECIATN": "Depreciation",
    "DIRECTCOSTS": "DirectCosts",
    "EQUITY": "Equity",
    "EXPENSE": "Expense",
    "FIXED": "Fixed",
    "INVENTORY": "Inventory",
    "LIABILITY": "Liability",
    "NONCURRENT": "NonCurrent",
    "OTHERINCOME": "OtherIncome",
    "OVERHEADS": "Overheads",
    "PREPAYMENT": "Prepayment",
    "REVENUE": "Revenue",
    "SALES": "Sales",
    "TERMLIAB": "TermLiability",
    "PAYG": "PAYG",
}


# Where a new account goes: Codat's fullyQualifiedCategory (as account_from_xero reports it)
# → Xero's account Type, with the name Xero shows for that type.
XERO_TYPE_BY_CATEGORY: dict[str, tuple[str, str]] = {
    "Asset.Current": ("CURRENT", "Current Asset"),
    "Asset.Fixed": ("FIXED", "Fixed Asset"),
    "Asset.Inventory": ("INVENTORY", "Inventory"),
    "Asset.NonCurrent": ("NONCURRENT", "Non-current Asset"),
    "Asset.Prepayment": ("PREPAYMENT", "Prepayment"),
    "Liability.CurrentLiability": ("CURRLIAB", "Current Liability"),
    "Liability.Liability": ("LIABILITY", "Liability"),
    "Liability.TermLiability": ("TERMLIAB", "Non-current Liability"),
    "Equity.Equity": ("EQUITY", "Equity"),
    "Expense.Depreciation": ("DEPRECIATN", "Depreciation"),
    "Expense.DirectCosts": ("DIRECTCOSTS", "Direct Costs"),
    "Expense.Expense": ("EXPENSE", "Expense"),
    "Expense.Overheads": ("OVERHEADS", "Overhead"),
    "Income.OtherIncome": ("OTHERINCOME", "Other Income"),
    "Income.Revenue": ("REVENUE", "Revenue"),
    "Income.Sales": ("SALES", "Sales"),
}
BANK_CATEGORIES = {"Asset.Bank": "BANK", "Liability.CreditCard": "CREDITCARD"}


def parse_ms_date(value: str | None) -> datetime | None:
    """`/Date(1551139200000+0000)/` → an aware datetime (UTC for the instant)."""
    if not value:
        return None
    match = _MS_DATE.fullmatch(value.strip())
    if match is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)


def _status(value: str | None) -> RecordStatus:
    return RecordStatus.ACTIVE if (value or "ACTIVE").upper() == "ACTIVE" else RecordStatus.ARCHIVED


def account_from_xero(raw: dict[str, Any], base_currency: str) -> LedgerAccount | None:
    """None for Xero's DELETED accounts (they no longer exist for us)."""
    if (raw.get("Status") or "").upper() == "DELETED":
        return None
    account_class = (raw.get("Class") or "").upper()
    account_type = _CLASS_TO_TYPE.get(account_class, AccountType.EXPENSE)
    xero_type = (raw.get("Type") or "").upper()
    bank_kind = BankKind.NONE
    if xero_type == "BANK":
        bank_kind = (
            BankKind.CREDIT_CARD
            if (raw.get("BankAccountType") or "").upper() == "CREDITCARD"
            else BankKind.BANK
        )
    if bank_kind is BankKind.CREDIT_CARD:
        account_type = AccountType.LIABILITY
    category = f"{account_type.value}.{_TYPE_CATEGORY.get(xero_type, xero_type.title() or 'Other')}"
    if bank_kind is BankKind.CREDIT_CARD:
        category = f"{account_type.value}.CreditCard"
    return LedgerAccount(
        id=str(raw["AccountID"]),
        name=str(raw.get("Name") or raw.get("Code") or raw["AccountID"]),
        account_type=account_type,
        category=category,
        currency=str(raw.get("CurrencyCode") or base_currency),
        nominal_code=raw.get("Code"),
        bank_kind=bank_kind,
        status=_status(raw.get("Status")),
        modified=parse_ms_date(raw.get("UpdatedDateUTC")),
    )


def tax_rate_from_xero(raw: dict[str, Any]) -> LedgerTaxRate | None:
    if (raw.get("Status") or "").upper() == "DELETED":
        return None
    components = raw.get("TaxComponents") or []
    total = sum((Decimal(str(c.get("Rate") or 0)) for c in components), Decimal(0))
    display = Decimal(
        str(raw.get("DisplayTaxRate") if raw.get("DisplayTaxRate") is not None else total)
    )
    effective = Decimal(
        str(raw.get("EffectiveRate") if raw.get("EffectiveRate") is not None else display)
    )
    for_purchases = bool(
        raw.get("CanApplyToExpenses")
        or raw.get("CanApplyToAssets")
        or raw.get("CanApplyToLiabilities")
    )
    return LedgerTaxRate(
        id=str(raw["TaxType"]),
        name=str(raw.get("Name") or raw["TaxType"]),
        code=str(raw["TaxType"]),
        effective_rate=effective,
        total_rate=total if components else display,
        for_purchases=for_purchases,
        for_sales=bool(raw.get("CanApplyToRevenue")),
        status=_status(raw.get("Status")),
    )


def tracking_from_xero(raw: dict[str, Any]) -> list[LedgerTrackingCategory]:
    """A Xero category becomes a parent; each of its options a child a line can name."""
    if (raw.get("Status") or "").upper() == "DELETED":
        return []
    category_id = str(raw["TrackingCategoryID"])
    options = [o for o in raw.get("Options") or [] if (o.get("Status") or "").upper() != "DELETED"]
    parent = LedgerTrackingCategory(
        id=category_id,
        name=str(raw.get("Name") or category_id),
        has_children=bool(options),
        status=_status(raw.get("Status")),
    )
    children = [
        LedgerTrackingCategory(
            id=str(option["TrackingOptionID"]),
            name=str(option.get("Name") or option["TrackingOptionID"]),
            parent_id=category_id,
            status=_status(option.get("Status"))
            if parent.status is RecordStatus.ACTIVE
            else RecordStatus.ARCHIVED,
        )
        for option in options
    ]
    return [parent, *children]


def contact_from_xero(raw: dict[str, Any]) -> LedgerContact:
    return LedgerContact(
        id=str(raw["ContactID"]),
        name=str(raw.get("Name") or raw["ContactID"]),
        is_supplier=bool(raw.get("IsSupplier")),
        is_customer=bool(raw.get("IsCustomer")),
        currency=raw.get("DefaultCurrency"),
        email=raw.get("EmailAddress"),
        tax_number=raw.get("TaxNumber"),
        status=RecordStatus.ACTIVE
        if (raw.get("ContactStatus") or "ACTIVE").upper() == "ACTIVE"
        else RecordStatus.ARCHIVED,
        modified=parse_ms_date(raw.get("UpdatedDateUTC")),
    )


def contact_to_xero(contact: LedgerContact) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Name": contact.name,
        "ContactStatus": "ACTIVE" if contact.status is RecordStatus.ACTIVE else "ARCHIVED",
    }
    if contact.email:
        body["EmailAddress"] = contact.email
    if contact.tax_number:
        body["TaxNumber"] = contact.tax_number
    if contact.currency:
        body["DefaultCurrency"] = contact.currency
    return body


def company_info_from_xero(raw: dict[str, Any]) -> CompanyInformation:
    year_end_month = raw.get("FinancialYearEndMonth")
    year_end_day = raw.get("FinancialYearEndDay")
    year_start: datetime | None = None
    if year_end_month and year_end_day:
        end = datetime(2000, int(year_end_month), int(year_end_day), tzinfo=UTC)
        year_start = end + timedelta(days=1)
    return CompanyInformation(
        company_name=str(raw.get("Name") or raw.get("LegalName") or ""),
        base_currency=str(raw.get("BaseCurrency") or ""),
        accounting_platform_ref=raw.get("OrganisationID"),
        registration_number=raw.get("RegistrationNumber"),
        financial_year_start_date=year_start,
        source_urls={},
        created_date=parse_ms_date(raw.get("CreatedDateUTC")),
    )


def _money(value: Decimal) -> str:
    return format(value, "f")


def _tracking(
    refs: tuple[TrackingRef, ...], options: dict[str, tuple[str, str]]
) -> list[dict[str, str]]:
    """Tracking refs (option ids) → Xero line tracking (category + option ids)."""
    tracking = []
    for ref in refs:
        if ref.data_type is not TrackingDataType.TRACKING_CATEGORIES:
            continue
        found = options.get(ref.id)
        if found is not None:
            tracking.append({"TrackingCategoryID": found[0], "TrackingOptionID": found[1]})
    return tracking


def _line_item(
    posting: Posting, description: str | None, options: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """A LINE posting: Xero takes each line's net amount with its own tax (tax per line), so
    the plan's TAX postings are left to Xero's tax accounts."""
    item: dict[str, Any] = {
        "Description": posting.description or description or "Card transaction",
        "Quantity": 1,
        "UnitAmount": _money(posting.amount.amount),
        "LineAmount": _money(posting.amount.amount),
        "TaxAmount": _money(posting.line_tax.amount if posting.line_tax else Decimal(0)),
        "TaxType": posting.tax_rate_id or "NONE",
    }
    if isinstance(posting.account, str):
        item["AccountID"] = posting.account
    tracking = _tracking(posting.tracking, options)
    if tracking:
        item["Tracking"] = tracking
    return item


def _lines(plan: PostingPlan) -> list[Posting]:
    return sorted(plan.of_kind(PostingKind.LINE), key=lambda p: p.line_index or 0)


def _currency_rate(plan: PostingPlan) -> str | None:
    """Codat's rate is foreign → base (base = foreign x rate); Xero's CurrencyRate is the
    number of foreign units per base unit."""
    if plan.currency == plan.base_currency or not plan.rate:
        return None
    return _money(Decimal(1) / plan.rate)


def bank_transaction(plan: PostingPlan, options: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """An expense plan: Payment → SPEND; Refund, Reward, Chargeback → RECEIVE (the plan's
    kind gives the direction; its BANK posting names the bank or card account)."""
    description = plan.memo or plan.merchant_name
    body: dict[str, Any] = {
        "Type": "SPEND" if plan.kind is PlanKind.PAYMENT else "RECEIVE",
        "Date": plan.date.isoformat(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [_line_item(p, description, options) for p in _lines(plan)],
        "Reference": (plan.reference or plan.merchant_name or "")[:255] or None,
        "CurrencyCode": plan.currency,
        "CurrencyRate": _currency_rate(plan),
    }
    bank = plan.of_kind(PostingKind.BANK)
    if bank and isinstance(bank[0].account, str):
        body["BankAccount"] = {"AccountID": bank[0].account}
    if plan.counterparty is not None:
        body["Contact"] = {"ContactID": plan.counterparty.id}
    elif plan.merchant_name:
        body["Contact"] = {"Name": plan.merchant_name[:255]}
    return {k: v for k, v in body.items() if v is not None}


def bank_transfer(plan: PostingPlan) -> dict[str, Any]:
    """A transfer plan: Xero moves the `from` amount between the two bank accounts."""
    [source] = plan.of_kind(PostingKind.TRANSFER_FROM)
    [target] = plan.of_kind(PostingKind.TRANSFER_TO)
    body: dict[str, Any] = {
        "FromBankAccount": {"AccountID": source.account},
        "ToBankAccount": {"AccountID": target.account},
        "Amount": _money(source.amount.amount),
        "Date": plan.date.isoformat(),
    }
    if plan.memo:
        body["Reference"] = plan.memo[:255]
    return body


def bill(plan: PostingPlan, options: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A reimbursable plan is a bill (ACCPAY invoice) owed to the employee as a contact; its
    PAYABLE posting is Xero's own accounts payable."""
    assert plan.counterparty is not None
    assert plan.due_date is not None
    body: dict[str, Any] = {
        "Type": "ACCPAY",
        "Contact": {"ContactID": plan.counterparty.id},
        "Date": plan.date.isoformat(),
        "DueDate": plan.due_date.isoformat(),
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": plan.currency,
        "Status": "AUTHORISED",
        "LineItems": [_line_item(p, plan.memo, options) for p in _lines(plan)],
    }
    if plan.reference:
        body["InvoiceNumber"] = plan.reference[:255]
    rate = _currency_rate(plan)
    if rate is not None:
        body["CurrencyRate"] = rate
    return body


def manual_journal(
    plan: PostingPlan,
    account_codes: dict[str, str],
    options: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    """An adjustment plan. Xero keeps manual journals in the base currency, so each line is
    the posting's base amount (the plan balances those to the cent), debits positive and
    credits negative - Xero's LineAmount sign convention."""
    lines = []
    for posting in sorted(plan.of_kind(PostingKind.JOURNAL), key=lambda p: p.line_index or 0):
        money = posting.base_amount or posting.amount
        amount = money.amount if posting.direction is Direction.DEBIT else -money.amount
        account = str(posting.account)
        journal_line: dict[str, Any] = {
            "LineAmount": _money(amount),
            "AccountCode": account_codes.get(account, account),
        }
        if posting.description:
            journal_line["Description"] = posting.description[:255]
        tracking = _tracking(posting.tracking, options)
        if tracking:
            journal_line["Tracking"] = tracking
        lines.append(journal_line)
    return {
        "Narration": (plan.reference or f"Adjustment {plan.transaction_id}")[:255],
        "Date": plan.date.isoformat(),
        "Status": "POSTED",
        "LineAmountTypes": "NoTax",
        "JournalLines": lines,
    }


def account_to_xero(account: NewAccount) -> dict[str, Any]:
    """A new account as PUT /Accounts takes it; bank and card accounts are Type BANK."""
    if account.bank_kind is not BankKind.NONE:
        body: dict[str, Any] = {
            "Name": account.name,
            "Type": "BANK",
            "BankAccountType": "CREDITCARD"
            if account.bank_kind is BankKind.CREDIT_CARD
            else "BANK",
            "BankAccountNumber": " ".join(
                part for part in (account.sort_code, account.account_number) if part
            )
            or None,
            "CurrencyCode": account.currency,
            "Code": account.nominal_code,
        }
    else:
        body = {
            "Code": account.nominal_code,
            "Name": account.name,
            "Type": XERO_TYPE_BY_CATEGORY[account.category][0],
            "Description": account.description,
        }
    return {k: v for k, v in body.items() if v is not None}


def validation_messages(element: dict[str, Any]) -> str:
    """The platform's own words for why it refused one element."""
    messages = [
        str(e.get("Message")) for e in element.get("ValidationErrors") or [] if e.get("Message")
    ]
    return "; ".join(messages) or "Xero refused the record without a reason."
