"""The records a Xero organisation holds, and how each renders in the Accounting API.

Reference data (organisation, accounts, tax rates, tracking, contacts, currencies) is modelled
with typed dataclasses because the validation rules read their fields. Transactional documents
are stored as the JSON Xero would return (they are only ever echoed back), plus the metadata
the sandbox needs: update time and attachments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from spendsync.sandboxes.xero.dates import date_string, ms_date, ms_datetime

ZERO_ID = "00000000-0000-0000-0000-000000000000"
CENT = Decimal("0.01")
UNIT = Decimal("0.0001")

ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "DEPRECIATN": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "OTHERINCOME": "REVENUE",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
}


def money(value: Decimal) -> float:
    """Amounts travel as JSON numbers with two decimals, as Xero sends them."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Organisation:
    organisation_id: str
    name: str
    legal_name: str
    base_currency: str
    country_code: str
    version: str
    short_code: str
    created: datetime
    pays_tax: bool = True
    period_lock_date: date | None = None
    end_of_year_lock_date: date | None = None
    sales_tax_basis: str = "ACCRUALS"
    sales_tax_period: str = "QUARTERLY1"
    timezone: str = "GMTSTANDARDTIME"
    organisation_type: str = "COMPANY"
    financial_year_end_day: int = 31
    financial_year_end_month: int = 3
    tax_number: str | None = None

    @property
    def lock_date(self) -> date | None:
        """The later of the two lock dates: nothing on or before it may change."""
        dates = [d for d in (self.period_lock_date, self.end_of_year_lock_date) if d]
        return max(dates) if dates else None

    def to_xero(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "OrganisationID": self.organisation_id,
            "APIKey": self.short_code.upper(),
            "Name": self.name,
            "LegalName": self.legal_name,
            "PaysTax": self.pays_tax,
            "Version": self.version,
            "OrganisationType": self.organisation_type,
            "BaseCurrency": self.base_currency,
            "CountryCode": self.country_code,
            "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": self.financial_year_end_day,
            "FinancialYearEndMonth": self.financial_year_end_month,
            "SalesTaxBasis": self.sales_tax_basis,
            "SalesTaxPeriod": self.sales_tax_period,
            "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": ms_datetime(self.created),
            "OrganisationEntityType": self.organisation_type,
            "Timezone": self.timezone,
            "ShortCode": self.short_code,
            "Edition": "BUSINESS",
            "Class": "PREMIUM",
            "Addresses": [],
            "Phones": [],
            "ExternalLinks": [],
            "PaymentTerms": {},
        }
        if self.tax_number:
            body["TaxNumber"] = self.tax_number
        if self.period_lock_date:
            body["PeriodLockDate"] = ms_date(self.period_lock_date)
        if self.end_of_year_lock_date:
            body["EndOfYearLockDate"] = ms_date(self.end_of_year_lock_date)
        return body


@dataclass
class Account:
    account_id: str
    code: str | None
    name: str
    type: str
    updated: datetime
    status: str = "ACTIVE"
    tax_type: str | None = None
    bank_account_type: str | None = None
    bank_account_number: str | None = None
    currency_code: str | None = None
    description: str | None = None
    enable_payments_to_account: bool = False
    show_in_expense_claims: bool = False
    system_account: str | None = None

    @property
    def account_class(self) -> str:
        return ACCOUNT_CLASS.get(self.type, "EXPENSE")

    @property
    def reference(self) -> str:
        return self.code or self.account_id

    def to_ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"AccountID": self.account_id, "Name": self.name}
        if self.code:
            ref["Code"] = self.code
        return ref

    def to_xero(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "AccountID": self.account_id,
            "Name": self.name,
            "Status": self.status,
            "Type": self.type,
            "TaxType": self.tax_type or "NONE",
            "Class": self.account_class,
            "EnablePaymentsToAccount": self.enable_payments_to_account,
            "ShowInExpenseClaims": self.show_in_expense_claims,
            "BankAccountType": self.bank_account_type or "",
            "ReportingCode": "",
            "HasAttachments": False,
            "UpdatedDateUTC": ms_datetime(self.updated),
            "AddToWatchlist": False,
        }
        if self.code:
            body["Code"] = self.code
        if self.description and self.type != "BANK":
            body["Description"] = self.description
        if self.type == "BANK":
            body["BankAccountNumber"] = self.bank_account_number or ""
            body["CurrencyCode"] = self.currency_code
        if self.system_account:
            body["SystemAccount"] = self.system_account
        return body


@dataclass
class TaxRate:
    name: str
    tax_type: str
    rate: Decimal
    report_tax_type: str
    applies_to: frozenset[str]
    status: str = "ACTIVE"

    def to_xero(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "TaxType": self.tax_type,
            "ReportTaxType": self.report_tax_type,
            "CanApplyToAssets": "ASSET" in self.applies_to,
            "CanApplyToEquity": "EQUITY" in self.applies_to,
            "CanApplyToExpenses": "EXPENSE" in self.applies_to,
            "CanApplyToLiabilities": "LIABILITY" in self.applies_to,
            "CanApplyToRevenue": "REVENUE" in self.applies_to,
            "DisplayTaxRate": float(self.rate),
            "EffectiveRate": float(self.rate),
            "Status": self.status,
            "TaxComponents": [
                {
                    "Name": self.name,
                    "Rate": float(self.rate),
                    "IsCompound": False,
                    "IsNonRecoverable": False,
                }
            ],
        }


@dataclass
class TrackingOption:
    option_id: str
    name: str
    status: str = "ACTIVE"

    def to_xero(self, category_id: str) -> dict[str, Any]:
        return {
            "TrackingOptionID": self.option_id,
            "Name": self.name,
            "Status": self.status,
            "TrackingCategoryID": category_id,
        }


@dataclass
class TrackingCategory:
    category_id: str
    name: str
    options: list[TrackingOption]
    status: str = "ACTIVE"

    def to_xero(self, include_archived: bool) -> dict[str, Any]:
        options = [
            option.to_xero(self.category_id)
            for option in self.options
            if include_archived or option.status == "ACTIVE"
        ]
        return {
            "TrackingCategoryID": self.category_id,
            "Name": self.name,
            "Status": self.status,
            "Options": options,
        }


# Fields a client may set on a contact and that we simply keep and echo back.
CONTACT_PASSTHROUGH = (
    "AccountNumber",
    "CompanyNumber",
    "BankAccountDetails",
    "TaxNumber",
    "TaxNumberType",
    "AccountsReceivableTaxType",
    "AccountsPayableTaxType",
    "Addresses",
    "Phones",
    "ContactPersons",
    "DefaultCurrency",
    "SalesDefaultAccountCode",
    "PurchasesDefaultAccountCode",
    "SalesDefaultLineAmountType",
    "PurchasesDefaultLineAmountType",
    "PaymentTerms",
    "XeroNetworkKey",
)


@dataclass
class Contact:
    contact_id: str
    name: str
    updated: datetime
    status: str = "ACTIVE"
    contact_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email_address: str | None = None
    is_supplier: bool = False
    is_customer: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "ContactID": self.contact_id,
            "Name": self.name,
            "ContactStatus": self.status,
            "HasValidationErrors": False,
        }
        if self.contact_number:
            ref["ContactNumber"] = self.contact_number
        return ref

    def to_xero(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ContactID": self.contact_id,
            "ContactStatus": self.status,
            "Name": self.name,
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "IsSupplier": self.is_supplier,
            "IsCustomer": self.is_customer,
            "UpdatedDateUTC": ms_datetime(self.updated),
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
        for key, value in (
            ("ContactNumber", self.contact_number),
            ("FirstName", self.first_name),
            ("LastName", self.last_name),
            ("EmailAddress", self.email_address),
        ):
            if value is not None:
                body[key] = value
        body.update(self.extra)
        return body


@dataclass
class Currency:
    code: str
    description: str

    def to_xero(self) -> dict[str, Any]:
        return {"Code": self.code, "Description": self.description}


@dataclass
class Attachment:
    attachment_id: str
    file_name: str
    mime_type: str
    content: bytes
    include_online: bool = False

    def to_xero(self, url: str) -> dict[str, Any]:
        return {
            "AttachmentID": self.attachment_id,
            "FileName": self.file_name,
            "Url": url,
            "MimeType": self.mime_type,
            "ContentLength": len(self.content),
            "IncludeOnline": self.include_online,
        }


@dataclass
class Document:
    """A stored transaction: its Xero JSON (minus the volatile fields) and metadata."""

    document_id: str
    data: dict[str, Any]
    updated: datetime
    document_date: date | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.data.get("Status", ""))

    def to_xero(self, timestamp_field: str = "UpdatedDateUTC") -> dict[str, Any]:
        body = dict(self.data)
        body[timestamp_field] = ms_datetime(self.updated)
        body["HasAttachments"] = bool(self.attachments)
        return body


def dated(day: date) -> dict[str, str]:
    """The ``Date`` + ``DateString`` pair Xero puts on accounting documents."""
    return {"Date": ms_date(day), "DateString": date_string(day)}
