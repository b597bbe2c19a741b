"""Name lists and reference data: unique display names, accounts, classes, currencies."""

from __future__ import annotations

from typing import Any

import pytest

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, fault_of, ids
from tests.sandboxes.qbo.xsd import conforms


def _ok(qbo: Qbo, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    conforms(entity, body)
    response = qbo("POST", f"/{entity.lower()}", json=body)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()[entity]
    conforms(entity, record)
    return record


@pytest.mark.parametrize("entity", ["Vendor", "Customer", "Employee"])
def test_display_name_is_unique_across_vendors_customers_and_employees(
    us: Qbo, entity: str
) -> None:
    response = us("POST", f"/{entity.lower()}", json={"DisplayName": "staples"})
    assert response.status_code == 400
    error = fault_of(response)
    assert (error["code"], error["Message"]) == ("6240", "Duplicate Name Exists Error")
    jane = us("POST", f"/{entity.lower()}", json={"GivenName": "Jane", "FamilyName": "Doe"})
    assert fault_of(jane)["code"] == "6240"  # the composed DisplayName collides too


def test_vendor_for_an_employee_gets_its_own_name(us: Qbo) -> None:
    vendor = _ok(us, "Vendor", {"DisplayName": "Jane Doe (Employee)", "GivenName": "Jane"})
    assert vendor["DisplayName"] == "Jane Doe (Employee)"
    assert vendor["CurrencyRef"]["value"] == "USD"
    assert vendor["Active"] is True
    renamed = _ok(
        us,
        "Vendor",
        {
            "Id": vendor["Id"],
            "SyncToken": vendor["SyncToken"],
            "sparse": True,
            "DisplayName": "Jane Doe (Employee)",
            "CompanyName": "Jane",
        },
    )
    assert renamed["SyncToken"] == "1"  # keeping its own name is not a duplicate


def test_a_name_is_required(us: Qbo) -> None:
    response = us("POST", "/vendor", json={"PrimaryEmailAddr": {"Address": "a@b.c"}})
    assert fault_of(response)["code"] == "6080"


def test_foreign_vendor_needs_multicurrency(us: Qbo, uk: Qbo) -> None:
    response = us(
        "POST", "/vendor", json={"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}}
    )
    assert fault_of(response)["code"] == "6000"
    vendor = _ok(uk, "Vendor", {"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
    assert vendor["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
    unknown = uk("POST", "/vendor", json={"DisplayName": "Yen KK", "CurrencyRef": {"value": "JPY"}})
    assert fault_of(unknown)["code"] == "2500"  # not a company currency yet
    _ok(uk, "CompanyCurrency", {"Code": "JPY"})
    assert uk(
        "POST", "/vendor", json={"DisplayName": "Yen KK", "CurrencyRef": {"value": "JPY"}}
    ).is_success


def test_company_currency_needs_multicurrency(us: Qbo) -> None:
    assert fault_of(us("POST", "/companycurrency", json={"Code": "EUR"}))["code"] == "6000"


def test_accounts_classification_sub_accounts_and_unique_names(
    us: Qbo, sandbox: QboSandbox
) -> None:
    travel = ids(sandbox, US_REALM_ID, "Account", "Travel")
    hotels = _ok(
        us,
        "Account",
        {
            "Name": "Hotels",
            "AccountType": "Expense",
            "SubAccount": True,
            "ParentRef": {"value": travel},
        },
    )
    assert hotels["FullyQualifiedName"] == "Travel:Hotels"
    assert hotels["Classification"] == "Expense"
    duplicate = us("POST", "/account", json={"Name": "Checking", "AccountType": "Bank"})
    assert fault_of(duplicate)["code"] == "6240"
    no_type = us("POST", "/account", json={"Name": "Something"})
    assert fault_of(no_type)["code"] == "2020"
    bad_type = us("POST", "/account", json={"Name": "Something", "AccountType": "Magic"})
    assert fault_of(bad_type)["code"] == "2040"
    wrong_parent = us(
        "POST",
        "/account",
        json={
            "Name": "Odd",
            "AccountType": "Bank",
            "SubAccount": True,
            "ParentRef": {"value": travel},
        },
    )
    assert fault_of(wrong_parent)["code"] == "6000"


def test_classes_and_departments(us: Qbo, sandbox: QboSandbox) -> None:
    engineering = ids(sandbox, US_REALM_ID, "Class", "Engineering")
    sub = _ok(us, "Class", {"Name": "Data", "SubClass": True, "ParentRef": {"value": engineering}})
    assert sub["FullyQualifiedName"] == "Engineering:Data"
    department = _ok(us, "Department", {"Name": "Austin"})
    assert department["SubDepartment"] is False
    assert fault_of(us("POST", "/department", json={"Name": "austin"}))["code"] == "6240"


def test_tax_codes_are_read_only(us: Qbo) -> None:
    response = us("POST", "/taxcode", json={"Name": "NEW"})
    assert response.status_code == 400
    assert fault_of(response)["code"] == "500"


def test_unknown_entity_or_route_is_unsupported(us: Qbo) -> None:
    assert fault_of(us("POST", "/spaceship", json={"Name": "x"}))["code"] == "500"
    assert fault_of(us("GET", "/spaceship/1"))["code"] == "500"
    assert fault_of(us("GET", "/purchase"))["code"] == "500"
    assert fault_of(us("DELETE", "/purchase/1"))["code"] == "500"


def test_invalid_json_is_a_validation_fault(us: Qbo) -> None:
    response = us(
        "POST", "/vendor", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert fault_of(response)["code"] == "2010"
