"""Demo companies. Records go through the same validation as API writes, in a fixed order, so
ids are stable: look them up by name with :func:`record_id` rather than hard-coding them.

* **Demo US Inc** (realm :data:`US_REALM_ID`): USD, automated sales tax (TaxCode ``TAX`` and
  ``NON``), multicurrency off; a Bank "Checking" and a Credit Card "Company Card" account,
  expense / income / COGS accounts with sub-accounts, classes with a sub-class, departments,
  vendors, customers and employees (one of each kind inactive where it matters).
* **Demo UK Ltd** (realm :data:`UK_REALM_ID`): GBP, VAT (20 %, 5 %, 0 %, exempt, no VAT),
  multicurrency on with USD and EUR; a GBP "Current Account", a GBP "Company Card" and a USD
  "USD Card", vendors in GBP, USD and EUR.

Seeded records carry :data:`SEED_TIME` so incremental-read tests are reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from spendsync.sandboxes.qbo.state import ENTITIES, Company, Record, save_entity

SEED_TIME = datetime(2024, 1, 1, 12, tzinfo=UTC)
US_REALM_ID = "9341453000000001"
UK_REALM_ID = "9341453000000002"


def record_id(company: Company, entity: str, name: str) -> str:
    """The id of a seeded record by ``Name``/``DisplayName``/``FullyQualifiedName``/``Code``."""
    for record in company.table(entity).values():
        if name in (
            record.get("FullyQualifiedName"),
            record.get("DisplayName"),
            record.get("Name"),
            record.get("Code"),
        ):
            return str(record["Id"])
    raise KeyError(f"{entity} {name!r}")


def _put(company: Company, entity: str, body: Record) -> str:
    return str(save_entity(company, entity, body, SEED_TIME)["Id"])


def _accounts(company: Company, accounts: list[tuple[str, str, str | None, str | None]]) -> None:
    """(name, AccountType, parent name, currency)."""
    for name, account_type, parent, currency in accounts:
        body: Record = {"Name": name, "AccountType": account_type}
        if parent:
            body["SubAccount"] = True
            body["ParentRef"] = {"value": record_id(company, "Account", parent)}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        _put(company, "Account", body)


def _tracking(company: Company, entity: str, sub_key: str, names: list[str]) -> None:
    for name in names:
        parent, _, leaf = name.rpartition(":")
        body: Record = {"Name": leaf}
        if parent:
            body[sub_key] = True
            body["ParentRef"] = {"value": record_id(company, entity, parent)}
        _put(company, entity, body)


def _store_raw(company: Company, entity: str, record: Record) -> None:
    """Read-only entities (tax codes, company info) that the API cannot create."""
    record.setdefault("Id", company.allocate_id())
    record.setdefault("SyncToken", "0")
    record["domain"] = "QBO"
    record["sparse"] = False
    stamp = company.timestamp(SEED_TIME)
    record["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
    company.table(entity)[str(record["Id"])] = record


def _company_records(company: Company, legal_name: str, address: Record) -> None:
    _store_raw(
        company,
        "CompanyInfo",
        {
            "Id": "1",
            "CompanyName": company.name,
            "LegalName": legal_name,
            "CompanyAddr": address,
            "Country": company.country,
            "CompanyStartDate": "2023-01-01",
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Advanced"}],
        },
    )
    _store_raw(
        company,
        "Preferences",
        {
            "Id": "1",
            "AccountingInfoPrefs": {
                "TrackDepartments": True,
                "DepartmentTerminology": "Location",
                "ClassTrackingPerTxn": False,
                "ClassTrackingPerTxnLine": True,
                "CustomerTerminology": "Customers",
            },
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": company.multicurrency,
                "HomeCurrency": {"value": company.home_currency},
            },
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": not company.vat},
        },
    )


def us_company() -> Company:
    company = Company(
        realm_id=US_REALM_ID,
        name="Demo US Inc",
        country="US",
        home_currency="USD",
        multicurrency=False,
        utc_offset_hours=-8,
        vat=False,
        next_id=1,
    )
    _company_records(
        company,
        "Demo US Incorporated",
        {
            "Line1": "2700 Coast Ave",
            "City": "Mountain View",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94043",
            "Country": "US",
        },
    )
    for code, name, taxable in (("TAX", "TAX", True), ("NON", "NON", False)):
        _store_raw(
            company,
            "TaxCode",
            {
                "Id": code,
                "Name": name,
                "Description": f"{name} sales tax",
                "Active": True,
                "Taxable": taxable,
                "TaxGroup": False,
            },
        )
    company.next_id = 1
    _store_raw(
        company,
        "TaxRate",
        {
            "Name": "California",
            "Description": "CA state sales tax",
            "Active": True,
            "RateValue": 7.25,
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
    )
    _accounts(
        company,
        [
            ("Checking", "Bank", None, None),
            ("Savings", "Bank", None, None),
            ("Company Card", "Credit Card", None, None),
            ("Accounts Payable (A/P)", "Accounts Payable", None, None),
            ("Accounts Receivable (A/R)", "Accounts Receivable", None, None),
            ("Prepaid Expenses", "Other Current Asset", None, None),
            ("Opening Balance Equity", "Equity", None, None),
            ("Sales", "Income", None, None),
            ("Services", "Income", "Sales", None),
            ("Cost of Goods Sold", "Cost of Goods Sold", None, None),
            ("Supplies & Materials - COGS", "Cost of Goods Sold", "Cost of Goods Sold", None),
            ("Meals and Entertainment", "Expense", None, None),
            ("Travel", "Expense", None, None),
            ("Airfare", "Expense", "Travel", None),
            ("Office Supplies", "Expense", None, None),
            ("Software", "Expense", None, None),
            ("Subscriptions", "Expense", "Software", None),
            ("Bank Charges", "Expense", None, None),
            ("Old Expenses", "Expense", None, None),
        ],
    )
    _deactivate(company, "Account", "Old Expenses")
    _tracking(company, "Class", "SubClass", ["Engineering", "Engineering:Platform", "Sales Team"])
    _tracking(company, "Department", "SubDepartment", ["New York", "San Francisco"])
    for vendor in ("Delta Air Lines", "Staples", "Amazon Web Services", "Old Supplier"):
        _put(company, "Vendor", {"DisplayName": vendor, "CompanyName": vendor})
    _deactivate(company, "Vendor", "Old Supplier")
    for customer in ("Acme Corp", "Globex"):
        _put(company, "Customer", {"DisplayName": customer, "CompanyName": customer})
    for given, family in (("Jane", "Doe"), ("John", "Smith")):
        _put(company, "Employee", {"GivenName": given, "FamilyName": family})
    return company


def uk_company(name: str = "Demo UK Ltd", realm_id: str = UK_REALM_ID) -> Company:
    """The UK VAT company; another `name` and `realm_id` give a copy (load tests)."""
    company = Company(
        realm_id=realm_id,
        name=name,
        country="GB",
        home_currency="GBP",
        multicurrency=True,
        utc_offset_hours=0,
        vat=True,
        exchange_rates={"USD": Decimal("0.79"), "EUR": Decimal("0.86")},
        next_id=1,
    )
    _company_records(
        company,
        "Demo UK Limited",
        {"Line1": "1 Poultry", "City": "London", "PostalCode": "EC2R 8EJ", "Country": "GB"},
    )
    company.next_id = 1
    for currency in ("USD", "EUR"):
        _put(company, "CompanyCurrency", {"Code": currency})
    rates: dict[str, str] = {}
    for name, value in (("20.0% S", 20), ("5.0% R", 5), ("0.0% Z", 0), ("Exempt", 0)):
        rate = {
            "Name": name,
            "Description": f"VAT {name}",
            "Active": True,
            "RateValue": value,
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        }
        _store_raw(company, "TaxRate", rate)
        rates[name] = str(rate["Id"])
    for name, rate_name in (
        ("20.0% S", "20.0% S"),
        ("5.0% R", "5.0% R"),
        ("0.0% Z", "0.0% Z"),
        ("Exempt", "Exempt"),
        ("No VAT", None),
    ):
        code: Record = {
            "Name": name,
            "Description": name,
            "Active": True,
            "Taxable": rate_name is not None,
            "TaxGroup": True,
        }
        if rate_name is not None:
            detail = {
                "TaxRateDetail": [
                    {
                        "TaxRateRef": {"value": rates[rate_name], "name": rate_name},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                ]
            }
            code["PurchaseTaxRateList"] = detail
            code["SalesTaxRateList"] = detail
        _store_raw(company, "TaxCode", code)
    _accounts(
        company,
        [
            ("Current Account", "Bank", None, None),
            ("Company Card", "Credit Card", None, None),
            ("USD Card", "Credit Card", None, "USD"),
            ("EUR Account", "Bank", None, "EUR"),
            ("Creditors", "Accounts Payable", None, None),
            ("Debtors", "Accounts Receivable", None, None),
            ("Share Capital", "Equity", None, None),
            ("Sales", "Income", None, None),
            ("Cost of Sales", "Cost of Goods Sold", None, None),
            ("Travel", "Expense", None, None),
            ("Flights", "Expense", "Travel", None),
            ("Meals", "Expense", None, None),
            ("Office Expenses", "Expense", None, None),
            ("Software", "Expense", None, None),
        ],
    )
    _tracking(company, "Class", "SubClass", ["Operations", "Operations:Support"])
    _tracking(company, "Department", "SubDepartment", ["London", "Manchester"])
    for vendor, currency in (
        ("Pret A Manger", "GBP"),
        ("British Airways", "GBP"),
        ("Amazon US", "USD"),
        ("Lufthansa", "EUR"),
    ):
        _put(company, "Vendor", {"DisplayName": vendor, "CurrencyRef": {"value": currency}})
    _put(company, "Customer", {"DisplayName": "Initech Ltd"})
    _put(company, "Employee", {"GivenName": "Alice", "FamilyName": "Brown"})
    return company


def _deactivate(company: Company, entity: str, name: str) -> None:
    record = company.table(entity)[record_id(company, entity, name)]
    save_entity(company, entity, {**record, "Active": False}, SEED_TIME)


def demo_companies() -> list[Company]:
    return [us_company(), uk_company()]


def apply_seed(company: Company, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Add or change records in one company (``POST /_control/seed``).

    ``entities``: ``{"Vendor": [{…QBO JSON…}], …}`` — each record goes through the API's
    validation; one whose ``Name``/``DisplayName`` already exists is updated sparsely instead.
    ``exchangeRates``: ``{"USD": 0.79}`` (home units per foreign unit, used when a transaction
    omits ``ExchangeRate``). ``multicurrency``: switch the preference (off → on only in QBO,
    the sandbox allows both for tests).
    """
    created: dict[str, list[str]] = {}
    for code, rate in (payload.get("exchangeRates") or {}).items():
        company.exchange_rates[str(code).upper()] = Decimal(str(rate))
    if "multicurrency" in payload:
        company.multicurrency = bool(payload["multicurrency"])
        company.table("Preferences")["1"]["CurrencyPrefs"]["MultiCurrencyEnabled"] = (
            company.multicurrency
        )
    for entity, records in (payload.get("entities") or {}).items():
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity}")
        for raw in records:
            body = dict(raw)
            name = body.get("DisplayName") or body.get("Name")
            if "Id" not in body and name:
                try:
                    existing = company.table(entity)[record_id(company, entity, str(name))]
                except KeyError:
                    existing = None
                if existing is not None:
                    body.update(
                        {"Id": existing["Id"], "SyncToken": existing["SyncToken"], "sparse": True}
                    )
            created.setdefault(entity, []).append(
                str(save_entity(company, entity, body, now)["Id"])
            )
    return {"realmId": company.realm_id, "ids": created}
