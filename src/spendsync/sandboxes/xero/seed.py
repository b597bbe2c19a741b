"""Demo organisations, with ids derived from names (uuid5) so tests can refer to them by name.

* **Demo UK Ltd** (GBP, VAT registered): a GBP current account, a GBP and a USD credit card,
  a UK chart of accounts, UK VAT rates (INPUT2 20 %, RRINPUT 5 %, ZERORATEDINPUT, EXEMPTINPUT,
  NONE, OUTPUT2, …), tracking "Department" (one archived option) and "Region", an archived
  category, suppliers, customers, an employee contact, GBP/USD/EUR, and a period lock date.
* **Demo US Inc** (USD, sales tax): a checking account, a card, US-style tax rates.

Seeded records carry a fixed ``UpdatedDateUTC`` (:data:`SEED_TIME`) so that
``If-Modified-Since`` tests are reproducible.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from spendsync.sandboxes.xero.models import (
    Account,
    Contact,
    Currency,
    Organisation,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from spendsync.sandboxes.xero.state import CURRENCY_NAMES, Tenant

NAMESPACE = uuid.UUID("6f1c3f4e-8a43-5d7e-9a3b-2b1d5e0c9a11")
SEED_TIME = datetime(2024, 1, 1, tzinfo=UTC)
UK = "Demo UK Ltd"
US = "Demo US Inc"


def demo_id(organisation: str, kind: str, name: str = "") -> str:
    """The id of a seeded record, e.g. ``demo_id(UK, "account", "090")``."""
    return str(uuid.uuid5(NAMESPACE, f"{organisation}/{kind}/{name}"))


UK_TENANT_ID = demo_id(UK, "organisation")
US_TENANT_ID = demo_id(US, "organisation")

EXPENSE_SIDE = frozenset({"EXPENSE", "ASSET", "LIABILITY", "EQUITY"})
INCOME_SIDE = frozenset({"REVENUE", "ASSET", "LIABILITY", "EQUITY"})
EVERYTHING = frozenset({"EXPENSE", "ASSET", "LIABILITY", "EQUITY", "REVENUE"})


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: str
    tax_type: str = "NONE"
    status: str = "ACTIVE"
    bank_account_type: str | None = None
    currency: str | None = None
    system_account: str | None = None


UK_ACCOUNTS = (
    AccountSpec("090", "Business Bank Account", "BANK", bank_account_type="BANK", currency="GBP"),
    AccountSpec("091", "Company Card", "BANK", bank_account_type="CREDITCARD", currency="GBP"),
    AccountSpec("092", "USD Card", "BANK", bank_account_type="CREDITCARD", currency="USD"),
    AccountSpec("200", "Sales", "REVENUE", "OUTPUT2"),
    AccountSpec("260", "Other Revenue", "REVENUE", "OUTPUT2"),
    AccountSpec("270", "Interest Income", "OTHERINCOME", "NONE"),
    AccountSpec("275", "Card Cashback Rewards", "OTHERINCOME", "NONE"),
    AccountSpec("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2"),
    AccountSpec("320", "Subcontractors", "DIRECTCOSTS", "INPUT2"),
    AccountSpec("400", "Advertising & Marketing", "OVERHEADS", "INPUT2"),
    AccountSpec("404", "Bank Fees", "OVERHEADS", "EXEMPTINPUT"),
    AccountSpec("420", "Entertainment", "OVERHEADS", "NONE"),
    AccountSpec("429", "General Expenses", "OVERHEADS", "INPUT2"),
    AccountSpec("433", "Insurance", "OVERHEADS", "EXEMPTINPUT"),
    AccountSpec("449", "Motor Vehicle Expenses", "OVERHEADS", "INPUT2"),
    AccountSpec("461", "Printing & Stationery", "OVERHEADS", "INPUT2"),
    AccountSpec("463", "IT Software and Consumables", "OVERHEADS", "INPUT2"),
    AccountSpec("480", "Staff Training", "EXPENSE", "INPUT2"),
    AccountSpec("493", "Travel - National", "OVERHEADS", "INPUT2"),
    AccountSpec("494", "Travel - International", "OVERHEADS", "ZERORATEDINPUT"),
    AccountSpec("498", "Meals (domestic)", "EXPENSE", "RRINPUT"),
    AccountSpec("499", "Old Expenses", "OVERHEADS", "INPUT2", status="ARCHIVED"),
    AccountSpec("610", "Accounts Receivable", "CURRENT", system_account="DEBTORS"),
    AccountSpec("800", "Accounts Payable", "CURRLIAB", system_account="CREDITORS"),
    AccountSpec("814", "Wages Payable - Payroll", "CURRLIAB"),
    AccountSpec("820", "VAT", "CURRLIAB", system_account="GST"),
    AccountSpec("825", "Employee Reimbursements", "CURRLIAB"),
    AccountSpec("840", "Historical Adjustment", "CURRLIAB", system_account="HISTORICAL"),
    AccountSpec("960", "Retained Earnings", "EQUITY", system_account="RETAINEDEARNINGS"),
    AccountSpec("970", "Owner A Funds Introduced", "EQUITY"),
)

UK_TAX_RATES = (
    TaxRate("20% (VAT on Expenses)", "INPUT2", Decimal("20"), "INPUT", EXPENSE_SIDE),
    TaxRate("5% (VAT on Expenses)", "RRINPUT", Decimal("5"), "INPUT", EXPENSE_SIDE),
    TaxRate("Zero Rated Expenses", "ZERORATEDINPUT", Decimal("0"), "INPUT", EXPENSE_SIDE),
    TaxRate("Exempt Expenses", "EXEMPTINPUT", Decimal("0"), "EXEMPTINPUT", EXPENSE_SIDE),
    TaxRate("No VAT", "NONE", Decimal("0"), "NONE", EVERYTHING),
    TaxRate("20% (VAT on Income)", "OUTPUT2", Decimal("20"), "OUTPUT", INCOME_SIDE),
    TaxRate("Zero Rated Income", "ZERORATEDOUTPUT", Decimal("0"), "OUTPUT", INCOME_SIDE),
    TaxRate("Exempt Income", "EXEMPTOUTPUT", Decimal("0"), "EXEMPTOUTPUT", INCOME_SIDE),
    TaxRate("17.5% (VAT on Expenses)", "INPUT", Decimal("17.5"), "INPUT", EXPENSE_SIDE, "DELETED"),
)

US_ACCOUNTS = (
    AccountSpec("090", "Checking Account", "BANK", bank_account_type="BANK", currency="USD"),
    AccountSpec("091", "Business Card", "BANK", bank_account_type="CREDITCARD", currency="USD"),
    AccountSpec("200", "Sales", "REVENUE", "OUTPUT"),
    AccountSpec("270", "Interest Income", "OTHERINCOME", "NONE"),
    AccountSpec("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT"),
    AccountSpec("400", "Advertising", "EXPENSE", "INPUT"),
    AccountSpec("420", "Meals and Entertainment", "EXPENSE", "INPUT"),
    AccountSpec("429", "General Expenses", "EXPENSE", "INPUT"),
    AccountSpec("463", "Software", "EXPENSE", "INPUT"),
    AccountSpec("493", "Travel", "EXPENSE", "INPUT"),
    AccountSpec("610", "Accounts Receivable", "CURRENT", system_account="DEBTORS"),
    AccountSpec("800", "Accounts Payable", "CURRLIAB", system_account="CREDITORS"),
    AccountSpec("820", "Sales Tax", "CURRLIAB", system_account="GST"),
    AccountSpec("960", "Retained Earnings", "EQUITY", system_account="RETAINEDEARNINGS"),
)

US_TAX_RATES = (
    TaxRate("Tax Exempt", "NONE", Decimal("0"), "NONE", EVERYTHING),
    TaxRate("Tax on Purchases", "INPUT", Decimal("0"), "INPUT", EXPENSE_SIDE),
    TaxRate("Tax on Sales", "OUTPUT", Decimal("0"), "OUTPUT", INCOME_SIDE),
    TaxRate("California Sales Tax", "TAX001", Decimal("7.25"), "AVALARA", INCOME_SIDE),
    TaxRate("New York City Sales Tax", "TAX002", Decimal("8.875"), "AVALARA", INCOME_SIDE),
)


def _account(organisation: str, spec: AccountSpec) -> Account:
    return Account(
        account_id=demo_id(organisation, "account", spec.code),
        code=spec.code,
        name=spec.name,
        type=spec.type,
        updated=SEED_TIME,
        status=spec.status,
        tax_type=spec.tax_type,
        bank_account_type=spec.bank_account_type,
        bank_account_number=f"{int(spec.code):08d}" if spec.type == "BANK" else None,
        currency_code=spec.currency,
        enable_payments_to_account=spec.type == "BANK",
        show_in_expense_claims=spec.type in ("EXPENSE", "OVERHEADS"),
        system_account=spec.system_account,
    )


def _tracking(
    organisation: str, name: str, options: list[tuple[str, str]], status: str = "ACTIVE"
) -> TrackingCategory:
    return TrackingCategory(
        category_id=demo_id(organisation, "tracking", name),
        name=name,
        status=status,
        options=[
            TrackingOption(demo_id(organisation, f"tracking/{name}", option), option, state)
            for option, state in options
        ],
    )


def _contact(organisation: str, name: str, **fields: Any) -> Contact:
    return Contact(
        contact_id=demo_id(organisation, "contact", name), name=name, updated=SEED_TIME, **fields
    )


def _tenant(
    organisation: Organisation,
    accounts: tuple[AccountSpec, ...],
    tax_rates: tuple[TaxRate, ...],
    currencies: tuple[str, ...],
) -> Tenant:
    tenant = Tenant(organisation)
    for spec in accounts:
        tenant.add_account(_account(organisation.name, spec))
    for rate in tax_rates:
        tenant.tax_rates[rate.tax_type] = TaxRate(
            rate.name, rate.tax_type, rate.rate, rate.report_tax_type, rate.applies_to, rate.status
        )
    for code in currencies:
        tenant.currencies[code] = Currency(code, CURRENCY_NAMES[code])
    return tenant


def demo_uk(name: str = UK) -> Tenant:
    """The UK VAT organisation; another `name` gives a copy with its own ids (load tests)."""
    tenant = _tenant(
        Organisation(
            organisation_id=demo_id(name, "organisation"),
            name=name,
            legal_name="Demo UK Limited",
            base_currency="GBP",
            country_code="GB",
            version="UK",
            short_code="!uk9Dm",
            created=datetime(2020, 1, 1, tzinfo=UTC),
            period_lock_date=date(2023, 12, 31),
            sales_tax_basis="ACCRUALS",
            sales_tax_period="QUARTERLY1",
            timezone="GMTSTANDARDTIME",
            tax_number="GB123456789",
        ),
        UK_ACCOUNTS,
        UK_TAX_RATES,
        ("GBP", "USD", "EUR"),
    )
    for category in (
        _tracking(
            name,
            "Department",
            [
                ("Sales", "ACTIVE"),
                ("Marketing", "ACTIVE"),
                ("Engineering", "ACTIVE"),
                ("Operations", "ARCHIVED"),
            ],
        ),
        _tracking(name, "Region", [("North", "ACTIVE"), ("South", "ACTIVE")]),
        _tracking(name, "Legacy Projects", [("Apollo", "ACTIVE")], status="ARCHIVED"),
    ):
        tenant.tracking[category.category_id] = category
    for contact in (
        _contact(name, "Amazon Web Services", is_supplier=True),
        _contact(name, "Pret A Manger", is_supplier=True),
        _contact(name, "British Airways", is_supplier=True),
        _contact(name, "Staples UK", is_supplier=True),
        _contact(name, "Acme Retail Ltd", is_customer=True, email_address="ap@acme.example"),
        _contact(name, "Globex Corporation", is_customer=True),
        _contact(
            name,
            "Jane Cooper",
            contact_number="EMP-001",
            first_name="Jane",
            last_name="Cooper",
            email_address="jane.cooper@demo-uk.example",
            is_supplier=True,
        ),
        _contact(name, "Old Supplier Ltd", status="ARCHIVED", is_supplier=True),
    ):
        tenant.add_contact(contact)
    return tenant


def demo_us() -> Tenant:
    tenant = _tenant(
        Organisation(
            organisation_id=US_TENANT_ID,
            name=US,
            legal_name="Demo US Incorporated",
            base_currency="USD",
            country_code="US",
            version="US",
            short_code="!us7Dm",
            created=datetime(2020, 1, 1, tzinfo=UTC),
            sales_tax_basis="ACCRUAL",
            sales_tax_period="MONTHLY",
            timezone="EASTERNSTANDARDTIME",
            financial_year_end_month=12,
        ),
        US_ACCOUNTS,
        US_TAX_RATES,
        ("USD", "CAD"),
    )
    region = _tracking(US, "Region", [("East", "ACTIVE"), ("West", "ACTIVE")])
    tenant.tracking[region.category_id] = region
    for contact in (
        _contact(US, "Delta Air Lines", is_supplier=True),
        _contact(US, "Staples", is_supplier=True),
        _contact(US, "Initech LLC", is_customer=True),
        _contact(US, "John Smith", contact_number="EMP-100", first_name="John", last_name="Smith"),
    ):
        tenant.add_contact(contact)
    return tenant


def demo_tenants() -> list[Tenant]:
    return [demo_uk(), demo_us()]


def apply_seed(tenant: Tenant, payload: dict[str, Any]) -> dict[str, Any]:
    """Add or change reference data in one organisation (``POST /_control/seed``).

    Accepted keys (all optional): ``organisation`` (``PeriodLockDate``/``EndOfYearLockDate`` as
    ``YYYY-MM-DD`` or null, ``Name``), ``accounts`` (upserted by ``Code``), ``contacts``
    (upserted by ``Name``), ``taxRates`` (upserted by ``TaxType``; ``Rate`` in percent,
    ``AppliesTo`` account classes) and ``currencies`` (codes).
    """
    organisation = payload.get("organisation") or {}
    for key, attr in (("PeriodLockDate", "period_lock_date"), ("EndOfYearLockDate", None)):
        if key in organisation:
            value = organisation[key]
            setattr(
                tenant.organisation,
                attr or "end_of_year_lock_date",
                date.fromisoformat(value) if value else None,
            )
    if organisation.get("Name"):
        tenant.organisation.name = str(organisation["Name"])
    for raw in payload.get("accounts") or []:
        existing = tenant.account_by_code(str(raw["Code"]))
        account = existing or Account(
            account_id=str(raw.get("AccountID") or uuid.uuid4()).lower(),
            code=str(raw["Code"]),
            name=str(raw.get("Name") or raw["Code"]),
            type=str(raw.get("Type") or "EXPENSE"),
            updated=SEED_TIME,
        )
        account.name = str(raw.get("Name") or account.name)
        account.type = str(raw.get("Type") or account.type)
        account.status = str(raw.get("Status") or account.status)
        account.tax_type = raw.get("TaxType", account.tax_type)
        account.bank_account_type = raw.get("BankAccountType", account.bank_account_type)
        account.currency_code = raw.get("CurrencyCode", account.currency_code)
        if account.type == "BANK" and account.currency_code is None:
            account.currency_code = tenant.organisation.base_currency
        tenant.add_account(account)
    for raw in payload.get("contacts") or []:
        contact = tenant.contact_by_name(str(raw["Name"])) or Contact(
            contact_id=str(raw.get("ContactID") or uuid.uuid4()).lower(),
            name=str(raw["Name"]),
            updated=SEED_TIME,
        )
        contact.status = str(raw.get("ContactStatus") or contact.status)
        contact.contact_number = raw.get("ContactNumber", contact.contact_number)
        contact.is_supplier = bool(raw.get("IsSupplier", contact.is_supplier))
        contact.is_customer = bool(raw.get("IsCustomer", contact.is_customer))
        tenant.add_contact(contact)
    for raw in payload.get("taxRates") or []:
        applies = raw.get("AppliesTo")
        tenant.tax_rates[str(raw["TaxType"])] = TaxRate(
            name=str(raw.get("Name") or raw["TaxType"]),
            tax_type=str(raw["TaxType"]),
            rate=Decimal(str(raw.get("Rate", 0))),
            report_tax_type=str(raw.get("ReportTaxType") or "INPUT"),
            applies_to=frozenset(applies) if applies else EXPENSE_SIDE,
            status=str(raw.get("Status") or "ACTIVE"),
        )
    for code in payload.get("currencies") or []:
        tenant.currencies[str(code)] = Currency(str(code), CURRENCY_NAMES.get(str(code), code))
    return {
        "tenantId": tenant.tenant_id,
        "accounts": len(tenant.accounts),
        "contacts": len(tenant.contacts),
        "taxRates": len(tenant.tax_rates),
        "currencies": sorted(tenant.currencies),
    }
