"""Creating and updating accounts: PUT /Accounts, POST /Accounts/{id}, Xero's account rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.sandboxes.xero.conftest import messages_of
from tests.sandboxes.xero.spec import conforms

Xero = Callable[..., Any]


def test_an_expense_account_is_created_and_listed(xero: Xero) -> None:
    sent = {"Code": "4100", "Name": "Card Fees", "Type": "EXPENSE", "Description": "Fees"}
    conforms(sent, "Account")
    created = xero("PUT", "/Accounts", json=sent)
    assert created.status_code == 200, created.text
    account = created.json()["Accounts"][0]
    conforms(created.json(), "Accounts")
    assert (account["Code"], account["Class"], account["Status"]) == ("4100", "EXPENSE", "ACTIVE")
    assert account["TaxType"] == "INPUT2"  # the organisation's default purchase rate
    listed = xero("GET", "/Accounts", params={"where": 'Code=="4100"'}).json()["Accounts"]
    assert [a["AccountID"] for a in listed] == [account["AccountID"]]


def test_a_credit_card_account_is_a_bank_account_in_its_currency(xero: Xero) -> None:
    created = xero(
        "PUT",
        "/Accounts",
        json={
            "Name": "Expensely Card (EUR)",
            "Type": "BANK",
            "BankAccountType": "CREDITCARD",
            "BankAccountNumber": "4111",
            "CurrencyCode": "EUR",
        },
    )
    assert created.status_code == 200, created.text
    account = created.json()["Accounts"][0]
    assert (account["Type"], account["BankAccountType"], account["CurrencyCode"]) == (
        "BANK",
        "CREDITCARD",
        "EUR",
    )


def test_account_rules_are_reported_together(xero: Xero) -> None:
    refused = xero(
        "PUT", "/Accounts", json={"Code": "493", "Name": "Travel - National", "Type": "NOPE"}
    )
    assert refused.status_code == 400
    assert refused.json()["Type"] == "ValidationException"
    assert set(messages_of(refused.json())) == {
        "Please enter a unique Code.",
        "Please enter a unique Name.",
        "'NOPE' is not a valid account Type.",
    }
    bank = xero(
        "PUT", "/Accounts", json={"Name": "New Bank", "Type": "BANK", "CurrencyCode": "JPY"}
    )
    assert set(messages_of(bank.json())) == {
        "Please enter a Bank Account Number.",
        "The currency JPY is not enabled for this organisation.",
    }


def test_an_account_is_archived_and_renamed(xero: Xero) -> None:
    account = xero("PUT", "/Accounts", json={"Code": "4101", "Name": "Temp", "Type": "OVERHEADS"})
    account_id = account.json()["Accounts"][0]["AccountID"]
    changed = xero(
        "POST", f"/Accounts/{account_id}", json={"Name": "Temporary", "Status": "ARCHIVED"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["Accounts"][0]["Status"] == "ARCHIVED"
    assert (
        xero("POST", "/Accounts/00000000-0000-0000-0000-000000000000", json={}).status_code == 404
    )


def test_organisations_are_added_for_load_tests(client: Any) -> None:
    added = client.post(
        "/_control/xero/organisations", json={"names": ["Load Org 1", "Load Org 2"]}
    )
    assert added.status_code == 201
    tenants = client.get("/_control/xero/tenants").json()
    for organisation in added.json():
        assert tenants[organisation["tenantId"]] == organisation["name"]
    assert len({o["tenantId"] for o in added.json()}) == 2
