"""Reads: envelopes, MS-JSON dates, reference data, filters, paging and If-Modified-Since."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from spendsync.sandboxes.xero import XeroSandbox
from spendsync.sandboxes.xero.dates import (
    date_string,
    ms_date,
    ms_datetime,
    ms_envelope_datetime,
    parse_date,
    parse_timestamp,
)
from spendsync.sandboxes.xero.seed import UK, UK_TENANT_ID, US_TENANT_ID, demo_id
from tests.sandboxes.xero.conftest import spend
from tests.sandboxes.xero.spec import conforms

Xero = Callable[..., Any]
MS_DATE = re.compile(r"^/Date\(\d+\+0000\)/$")


def test_ms_json_dates_round_trip() -> None:
    day = date(2019, 2, 26)
    assert ms_date(day) == "/Date(1551139200000+0000)/"
    assert date_string(day) == "2019-02-26T00:00:00"
    assert parse_date("/Date(1551139200000+0000)/") == day
    assert parse_date("2019-02-26T00:00:00") == day
    assert parse_date("2019-02-26") == day
    moment = datetime(2019, 2, 26, 20, 39, 28, 47000, tzinfo=UTC)
    assert ms_datetime(moment) == "/Date(1551213568047+0000)/"
    assert ms_envelope_datetime(moment) == "/Date(1551213568047)/"
    assert parse_timestamp("2020-02-06T12:17:43.202-08:00") == datetime(
        2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="invalid date"):
        parse_date("26/02/2019")


def test_organisation(xero: Xero) -> None:
    body = xero("GET", "/Organisation").json()
    conforms(body, "Organisations")
    [organisation] = body["Organisations"]
    assert organisation["OrganisationID"] == UK_TENANT_ID
    assert organisation["BaseCurrency"] == "GBP"
    assert organisation["Version"] == "UK"
    assert organisation["PeriodLockDate"] == ms_date(date(2023, 12, 31))
    assert MS_DATE.match(organisation["CreatedDateUTC"])
    assert re.match(r"^/Date\(\d+\)/$", body["DateTimeUTC"])
    assert body["ProviderName"] == "spendsync sandbox app"


def test_us_organisation(xero: Xero) -> None:
    body = xero("GET", "/Organisation", headers={"xero-tenant-id": US_TENANT_ID}).json()
    assert body["Organisations"][0]["Name"] == "Demo US Inc"
    rates = xero("GET", "/TaxRates", headers={"xero-tenant-id": US_TENANT_ID}).json()
    assert "TAX001" in {rate["TaxType"] for rate in rates["TaxRates"]}


def test_accounts_and_bank_accounts(xero: Xero) -> None:
    body = xero("GET", "/Accounts").json()
    conforms(body, "Accounts")
    banks = xero("GET", "/Accounts", params={"where": 'Type=="BANK"'}).json()["Accounts"]
    assert {(a["Name"], a["BankAccountType"], a["CurrencyCode"]) for a in banks} == {
        ("Business Bank Account", "BANK", "GBP"),
        ("Company Card", "CREDITCARD", "GBP"),
        ("USD Card", "CREDITCARD", "USD"),
    }
    types = {a["Type"] for a in body["Accounts"]}
    assert types >= {"EXPENSE", "OVERHEADS", "DIRECTCOSTS", "REVENUE", "OTHERINCOME", "CURRLIAB"}
    archived = xero("GET", f"/Accounts/{demo_id(UK, 'account', '499')}").json()["Accounts"][0]
    assert archived["Status"] == "ARCHIVED"
    missing = xero("GET", "/Accounts/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404


def test_tax_rates(xero: Xero) -> None:
    body = xero("GET", "/TaxRates").json()
    conforms(body, "TaxRates")
    rates = {rate["TaxType"]: rate for rate in body["TaxRates"]}
    assert rates["INPUT2"]["EffectiveRate"] == 20
    assert rates["RRINPUT"]["EffectiveRate"] == 5
    assert rates["ZERORATEDINPUT"]["EffectiveRate"] == 0
    assert {"EXEMPTINPUT", "NONE", "OUTPUT2"} <= set(rates)
    assert rates["OUTPUT2"]["CanApplyToExpenses"] is False
    one = xero("GET", "/TaxRates/INPUT2").json()["TaxRates"]
    assert [rate["TaxType"] for rate in one] == ["INPUT2"]


def test_tracking_categories_and_include_archived(xero: Xero) -> None:
    body = xero("GET", "/TrackingCategories").json()
    conforms(body, "TrackingCategories")
    names = {c["Name"]: [o["Name"] for o in c["Options"]] for c in body["TrackingCategories"]}
    assert names == {
        "Department": ["Sales", "Marketing", "Engineering"],
        "Region": ["North", "South"],
    }
    everything = xero("GET", "/TrackingCategories", params={"includeArchived": "true"}).json()
    names = {c["Name"]: [o["Name"] for o in c["Options"]] for c in everything["TrackingCategories"]}
    assert "Operations" in names["Department"]
    assert "Legacy Projects" in names


def test_contacts_filters_paging_and_ids(xero: Xero) -> None:
    body = xero("GET", "/Contacts").json()
    conforms(body, "Contacts")
    assert "Old Supplier Ltd" not in {c["Name"] for c in body["Contacts"]}
    with_archived = xero("GET", "/Contacts", params={"includeArchived": "true"}).json()
    assert "Old Supplier Ltd" in {c["Name"] for c in with_archived["Contacts"]}
    by_name = xero("GET", "/Contacts", params={"where": 'Name=="Jane Cooper"'}).json()
    assert [c["ContactNumber"] for c in by_name["Contacts"]] == ["EMP-001"]
    suppliers = xero("GET", "/Contacts", params={"where": "IsSupplier==true"}).json()
    assert all(c["IsSupplier"] for c in suppliers["Contacts"])
    assert len(suppliers["Contacts"]) == 5
    page = xero("GET", "/Contacts", params={"page": 2, "pageSize": 3, "order": "Name"}).json()
    assert page["pagination"] == {"page": 2, "pageSize": 3, "pageCount": 3, "itemCount": 7}
    assert [c["Name"] for c in page["Contacts"]] == [
        "Globex Corporation",
        "Jane Cooper",
        "Pret A Manger",
    ]
    ids = ",".join(demo_id(UK, "contact", n) for n in ("Staples UK", "Old Supplier Ltd"))
    chosen = xero("GET", "/Contacts", params={"IDs": ids}).json()
    assert {c["Name"] for c in chosen["Contacts"]} == {"Staples UK", "Old Supplier Ltd"}
    contains = xero("GET", "/Contacts", params={"where": 'Name.Contains("air")'}).json()
    assert {c["Name"] for c in contains["Contacts"]} == {"British Airways"}
    by_number = xero("GET", "/Contacts/EMP-001").json()["Contacts"][0]
    assert by_number["Name"] == "Jane Cooper"


def test_bad_where_clause_is_a_query_parse_exception(xero: Xero) -> None:
    response = xero("GET", "/Contacts", params={"where": "Nope=="})
    assert response.status_code == 400
    assert response.json()["Type"] == "QueryParseException"
    unknown = xero("GET", "/Contacts", params={"where": 'Colour=="red"'})
    assert unknown.status_code == 400


def test_if_modified_since(xero: Xero, sandbox: XeroSandbox) -> None:
    assert xero("PUT", "/BankTransactions", json={"BankTransactions": [spend()]}).status_code == 200
    later = sandbox.clock.now()
    sandbox.clock.advance(60)
    second = spend(Reference="second")
    assert xero("PUT", "/BankTransactions", json={"BankTransactions": [second]}).status_code == 200
    recent = xero(
        "GET", "/BankTransactions", headers={"If-Modified-Since": later.isoformat()}
    ).json()
    assert [t["Reference"] for t in recent["BankTransactions"]] == ["second"]
    # Seeded contacts carry 2024-01-01; a contact created now is newer than that.
    xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Fresh Ltd"}]})
    contacts = xero("GET", "/Contacts", headers={"If-Modified-Since": "2024-06-01T00:00:00"}).json()
    assert [c["Name"] for c in contacts["Contacts"]] == ["Fresh Ltd"]


def test_paths_are_case_insensitive(xero: Xero) -> None:
    assert xero("GET", "/contacts").status_code == 200
    assert xero("GET", "/BANKTRANSACTIONS").status_code == 200


def test_bank_transaction_read_by_id(xero: Xero) -> None:
    created = xero("PUT", "/BankTransactions", json={"BankTransactions": [spend()]}).json()
    identifier = created["BankTransactions"][0]["BankTransactionID"]
    body = xero("GET", f"/BankTransactions/{identifier}").json()
    conforms(body, "BankTransactions")
    assert body["BankTransactions"][0]["BankTransactionID"] == identifier
    where = xero(
        "GET", "/BankTransactions", params={"where": "Date>=DateTime(2024, 03, 01)"}
    ).json()
    assert len(where["BankTransactions"]) == 1
    none = xero("GET", "/BankTransactions", params={"where": "Date>DateTime(2024, 03, 01)"}).json()
    assert none["BankTransactions"] == []
