"""Reads: the query language, paging, incremental reads, single reads, company info, prefs."""

from __future__ import annotations

from typing import Any

import pytest

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import SEED_TIME, UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, card_purchase, fault_of, ids
from tests.sandboxes.qbo.xsd import conforms


def _query(qbo: Qbo, text: str, method: str = "GET") -> dict[str, Any]:
    if method == "GET":
        response = qbo("GET", "/query", params={"query": text})
    else:
        response = qbo("POST", "/query", content=text, headers={"Content-Type": "application/text"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"QueryResponse", "time"}
    result: dict[str, Any] = body["QueryResponse"]
    return result


def _names(result: dict[str, Any], entity: str) -> list[str]:
    return [r.get("FullyQualifiedName") or r.get("DisplayName") for r in result.get(entity, [])]


def test_select_all_with_query_response_envelope(us: Qbo) -> None:
    result = _query(us, "select * from Account")
    assert result["startPosition"] == 1
    assert result["maxResults"] == len(result["Account"])
    assert result["totalCount"] == len(result["Account"])
    for account in result["Account"]:
        conforms("Account", account)
        assert isinstance(account["Id"], str)


def test_where_operators(us: Qbo) -> None:
    cards = _query(us, "SELECT * FROM Account WHERE AccountType = 'Credit Card'")
    assert _names(cards, "Account") == ["Company Card"]
    banks = _query(us, "select * from Account where AccountType in ('Bank', 'Credit Card')")
    assert set(_names(banks, "Account")) == {"Checking", "Savings", "Company Card"}
    like = _query(us, "select * from Account where Name like 'Sub%'")
    assert _names(like, "Account") == ["Software:Subscriptions"]
    both = _query(
        us, "select * from Account where Classification = 'Expense' and Name like '%Supplies%'"
    )
    assert set(_names(both, "Account")) == {
        "Office Supplies",
        "Cost of Goods Sold:Supplies & Materials - COGS",
    }
    subs = _query(us, "select * from Account where SubAccount = true")
    assert "Travel:Airfare" in _names(subs, "Account")
    ids_above = _query(us, "select * from Account where Id >= '10' and Id < '12'")
    assert [a["Id"] for a in ids_above["Account"]] == ["10", "11"]


def test_lists_return_active_records_unless_active_is_filtered(us: Qbo) -> None:
    default = _names(_query(us, "select * from Vendor"), "Vendor")
    assert "Old Supplier" not in default
    everything = _names(_query(us, "select * from Vendor where Active in (true, false)"), "Vendor")
    assert "Old Supplier" in everything
    inactive = _names(_query(us, "select * from Account where Active = false"), "Account")
    assert inactive == ["Old Expenses"]


def test_orderby_startposition_maxresults(us: Qbo) -> None:
    first = _query(us, "select * from Account orderby Name desc startposition 1 maxresults 3")
    assert first["maxResults"] == 3
    assert first["startPosition"] == 1
    names = [a["Name"] for a in first["Account"]]
    assert names == sorted(names, key=str.lower, reverse=True)
    second = _query(us, "select * from Account orderby Name desc startposition 4 maxresults 3")
    assert second["startPosition"] == 4
    assert not {a["Id"] for a in first["Account"]} & {a["Id"] for a in second["Account"]}
    beyond = _query(us, "select * from Account startposition 500 maxresults 10")
    assert beyond == {}  # QBO answers an empty page with an empty QueryResponse


def test_count(us: Qbo) -> None:
    assert _query(us, "select count(*) from Customer") == {"totalCount": 2}


def test_incremental_reads_on_last_updated_time(us: Qbo, sandbox: QboSandbox) -> None:
    since = SEED_TIME.isoformat()
    assert _query(us, f"select * from Purchase where MetaData.LastUpdatedTime > '{since}'") == {}
    created = us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]
    changed = _query(us, f"select * from Purchase where MetaData.LastUpdatedTime > '{since}'")
    assert [p["Id"] for p in changed["Purchase"]] == [created["Id"]]
    stamp = created["MetaData"]["LastUpdatedTime"]
    assert _query(us, f"select * from Purchase where MetaData.LastUpdatedTime > '{stamp}'") == {}
    vendors = _query(us, f"select * from Vendor where MetaData.LastUpdatedTime >= '{since}'")
    assert len(vendors["Vendor"]) == 3


def test_post_query_body(us: Qbo) -> None:
    result = _query(us, "select * from TaxCode", method="POST")
    assert {code["Id"] for code in result["TaxCode"]} == {"TAX", "NON"}


def test_reference_fields_compare_on_their_value(us: Qbo, sandbox: QboSandbox) -> None:
    travel = ids(sandbox, US_REALM_ID, "Account", "Travel")
    subs = _query(us, f"select * from Account where ParentRef = '{travel}'")
    assert _names(subs, "Account") == ["Travel:Airfare"]


@pytest.mark.parametrize(
    "text",
    [
        "select * from",
        "select * from Account where Name = ",
        "select * from Account where Name = 'a' or Name = 'b'",
        "select * from Nonsense",
        "delete from Account",
    ],
)
def test_bad_queries_are_4000_parser_errors(us: Qbo, text: str) -> None:
    response = us("GET", "/query", params={"query": text})
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "4000"
    assert error["Detail"].startswith("QueryParserError")


def test_read_by_id_and_unknown_id(us: Qbo, sandbox: QboSandbox) -> None:
    card = ids(sandbox, US_REALM_ID, "Account", "Company Card")
    response = us("GET", f"/account/{card}")
    assert response.status_code == 200
    assert set(response.json()) == {"Account", "time"}
    assert response.json()["Account"]["AccountType"] == "Credit Card"
    missing = us("GET", "/account/424242")
    assert missing.status_code == 400
    assert fault_of(missing)["code"] == "610"


def test_company_info_and_preferences(us: Qbo, uk: Qbo) -> None:
    info = us("GET", f"/companyinfo/{US_REALM_ID}").json()["CompanyInfo"]
    assert info["CompanyName"] == "Demo US Inc"
    assert info["Country"] == "US"
    conforms("CompanyInfo", info)
    prefs = us("GET", "/preferences").json()["Preferences"]
    conforms("Preferences", prefs)
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "USD"},
    }
    uk_prefs = uk("GET", "/preferences").json()["Preferences"]
    assert uk_prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
    assert uk_prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "GBP"
    assert uk("GET", f"/companyinfo/{UK_REALM_ID}").json()["CompanyInfo"]["Country"] == "GB"


def test_us_seed(us: Qbo) -> None:
    codes = _query(us, "select * from TaxCode")["TaxCode"]
    assert {c["Name"] for c in codes} == {"TAX", "NON"}
    classes = _names(_query(us, "select * from Class"), "Class")
    assert "Engineering:Platform" in classes
    departments = _names(_query(us, "select * from Department"), "Department")
    assert set(departments) == {"New York", "San Francisco"}
    accounts = {a["Name"]: a for a in _query(us, "select * from Account")["Account"]}
    assert accounts["Company Card"]["AccountType"] == "Credit Card"
    assert accounts["Checking"]["AccountType"] == "Bank"
    assert {a["AccountType"] for a in accounts.values()} >= {
        "Expense",
        "Income",
        "Cost of Goods Sold",
    }
    assert _query(us, "select * from CompanyCurrency") == {}
    employees = _names(_query(us, "select * from Employee"), "Employee")
    assert set(employees) == {"Jane Doe", "John Smith"}


def test_uk_seed(uk: Qbo) -> None:
    currencies = {c["Code"] for c in _query(uk, "select * from CompanyCurrency")["CompanyCurrency"]}
    assert currencies == {"USD", "EUR"}
    rates = {r["Name"]: r["RateValue"] for r in _query(uk, "select * from TaxRate")["TaxRate"]}
    assert rates == {"20.0% S": 20, "5.0% R": 5, "0.0% Z": 0, "Exempt": 0}
    accounts = {a["Name"]: a for a in _query(uk, "select * from Account")["Account"]}
    assert accounts["Company Card"]["CurrencyRef"]["value"] == "GBP"
    assert accounts["USD Card"]["CurrencyRef"]["value"] == "USD"
    assert accounts["Current Account"]["AccountType"] == "Bank"
    for code in _query(uk, "select * from TaxCode")["TaxCode"]:
        conforms("TaxCode", code)


@pytest.mark.parametrize("minor", [None, "1", "40", "74", "75", "99"])
def test_minorversion_below_75_is_ignored_and_answered_as_75(
    us: Qbo, sandbox: QboSandbox, minor: str | None
) -> None:
    """Since 1 Aug 2025 QBO ignores minor versions 1 to 74 (and a missing one) and answers as 75."""
    card = ids(sandbox, US_REALM_ID, "Account", "Company Card")
    response = us("GET", f"/account/{card}", params={"minorversion": minor})
    baseline = us("GET", f"/account/{card}")
    assert response.status_code == 200
    assert response.json()["Account"] == baseline.json()["Account"]
