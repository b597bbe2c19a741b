"""BankTransactions: Xero's validation rules, arithmetic, currency, batches and idempotency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from spendsync.sandboxes.xero.seed import UK, demo_id
from tests.sandboxes.xero.conftest import messages_of, spend
from tests.sandboxes.xero.spec import conforms

Xero = Callable[..., Any]


def put(xero: Xero, *transactions: dict[str, Any], **kwargs: Any) -> Any:
    body = {"BankTransactions": list(transactions)}
    conforms(body, "BankTransactions")  # what we send is what Xero's spec describes
    return xero("PUT", "/BankTransactions", json=body, **kwargs)


def single_error(xero: Xero, transaction: dict[str, Any]) -> list[str]:
    response = put(xero, transaction)
    assert response.status_code == 400, response.text
    body = response.json()
    conforms(body, "Error")
    assert body["ErrorNumber"] == 10
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    return messages_of(body)


def test_spend_on_a_credit_card_computes_inclusive_vat(xero: Xero) -> None:
    response = put(xero, spend())
    assert response.status_code == 200, response.text
    body = response.json()
    conforms(body, "BankTransactions")
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(")
    [created] = body["BankTransactions"]
    assert created["BankAccount"]["AccountID"] == demo_id(UK, "account", "091")
    assert created["Contact"]["ContactID"] == demo_id(UK, "contact", "Pret A Manger")
    assert created["Date"] == "/Date(1709251200000+0000)/"
    assert created["DateString"] == "2024-03-01T00:00:00"
    assert created["UpdatedDateUTC"].endswith("+0000)/")
    line = created["LineItems"][0]
    # 24.00 including 20 % VAT: tax = 24 * 20 / 120 = 4.00.
    assert (line["LineAmount"], line["TaxAmount"]) == (24.0, 4.0)
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (20.0, 4.0, 24.0)
    assert created["CurrencyCode"] == "GBP"
    assert created["Status"] == "AUTHORISED"
    assert created["HasAttachments"] is False
    assert "StatusAttributeString" not in created


def test_exclusive_amounts_quantity_and_given_tax_amount(xero: Xero) -> None:
    transaction = spend(
        LineAmountTypes="Exclusive",
        LineItems=[
            {"Description": "Paper", "Quantity": 3, "UnitAmount": 2.5, "AccountCode": "461"},
            {"Description": "Meal", "LineAmount": 10, "AccountCode": "498"},
            {"Description": "Override", "LineAmount": 10, "TaxAmount": 1.99, "AccountCode": "429"},
        ],
    )
    created = put(xero, transaction).json()["BankTransactions"][0]
    lines = created["LineItems"]
    assert lines[0]["LineAmount"] == 7.5
    assert lines[0]["TaxType"] == "INPUT2"  # the account's default tax type
    assert lines[0]["TaxAmount"] == 1.5
    assert (lines[1]["Quantity"], lines[1]["UnitAmount"], lines[1]["TaxType"]) == (1, 10, "RRINPUT")
    assert lines[1]["TaxAmount"] == 0.5
    assert lines[2]["TaxAmount"] == 1.99  # honoured when given
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (27.5, 3.99, 31.49)


def test_no_tax_line_amount_type(xero: Xero) -> None:
    created = put(xero, spend(LineAmountTypes="NoTax")).json()["BankTransactions"][0]
    assert created["TotalTax"] == 0
    assert created["Total"] == 24.0
    assert created["LineItems"][0]["TaxType"] == "NONE"


def test_line_amount_must_match_quantity_times_unit_amount(xero: Xero) -> None:
    line = {"Quantity": 2, "UnitAmount": 5, "LineAmount": 11, "AccountCode": "429"}
    errors = single_error(xero, spend(LineItems=[line]))
    assert errors == ["The LineAmount 11 does not match Quantity multiplied by UnitAmount (10.00)."]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Type", "The BankTransaction Type must be specified."),
        ("BankAccount", "A bank account must be specified."),
        ("LineItems", "At least one line item must be specified."),
    ],
)
def test_required_fields(xero: Xero, field: str, expected: str) -> None:
    transaction = spend()
    del transaction[field]
    response = xero("PUT", "/BankTransactions", json={"BankTransactions": [transaction]})
    assert response.status_code == 400
    assert expected in messages_of(response.json())


def test_contact_must_be_identified(xero: Xero) -> None:
    errors = single_error(xero, spend(Contact={"EmailAddress": "x@example.com"}))
    assert errors == [
        "The Contact must contain at least 1 of the following elements to identify the "
        "contact: Name, ContactID, ContactNumber"
    ]


def test_contact_by_number_and_new_name_creates_contact(xero: Xero) -> None:
    by_number = put(xero, spend(Contact={"ContactNumber": "EMP-001"})).json()
    assert by_number["BankTransactions"][0]["Contact"]["Name"] == "Jane Cooper"
    put(xero, spend(Contact={"Name": "Brand New Cafe"}))
    found = xero("GET", "/Contacts", params={"where": 'Name=="Brand New Cafe"'}).json()
    assert len(found["Contacts"]) == 1
    archived = single_error(xero, spend(Contact={"Name": "Old Supplier Ltd"}))
    assert archived == [
        "The contact 'Old Supplier Ltd' has been archived and cannot be used on a transaction."
    ]


def test_bank_account_must_be_a_bank_account(xero: Xero) -> None:
    assert single_error(xero, spend(BankAccount={"Code": "429"})) == [
        "Account '429' is not a bank account. The BankAccount must be of type BANK."
    ]
    assert single_error(xero, spend(BankAccount={"Code": "999"})) == [
        "The BankAccount '999' could not be found."
    ]
    by_id = put(xero, spend(BankAccount={"AccountID": demo_id(UK, "account", "090")}))
    assert by_id.status_code == 200


def test_line_account_must_exist_and_be_active(xero: Xero) -> None:
    unknown = {"Description": "x", "UnitAmount": 1, "AccountCode": "999"}
    assert single_error(xero, spend(LineItems=[unknown])) == [
        "Account code '999' is not a valid code for this document."
    ]
    archived = {"Description": "x", "UnitAmount": 1, "AccountCode": "499"}
    assert single_error(xero, spend(LineItems=[archived])) == [
        "Account code '499' has been archived, or has been deleted. Each line item must "
        "reference a valid account."
    ]
    missing = {"Description": "x", "UnitAmount": 1}
    assert single_error(xero, spend(LineItems=[missing])) == [
        "An account code must be specified for each line item."
    ]


def test_tax_type_must_exist_be_active_and_fit_the_account(xero: Xero) -> None:
    def line(tax_type: str) -> dict[str, Any]:
        return {"Description": "x", "UnitAmount": 10, "AccountCode": "429", "TaxType": tax_type}

    assert single_error(xero, spend(LineItems=[line("BOGUS")])) == [
        "The TaxType code BOGUS does not exist or cannot be used for this type of transaction."
    ]
    assert single_error(xero, spend(LineItems=[line("INPUT")])) == [  # DELETED rate
        "The TaxType code INPUT does not exist or cannot be used for this type of transaction."
    ]
    assert single_error(xero, spend(LineItems=[line("OUTPUT2")])) == [  # a sales rate
        "The TaxType code OUTPUT2 cannot be used with account code 429."
    ]


def test_tracking_rules(xero: Xero) -> None:
    def line(*tracking: dict[str, str]) -> dict[str, Any]:
        return {
            "Description": "x",
            "UnitAmount": 10,
            "AccountCode": "429",
            "Tracking": list(tracking),
        }

    ok = put(xero, spend(LineItems=[line({"Name": "Department", "Option": "Sales"})]))
    tracking = ok.json()["BankTransactions"][0]["LineItems"][0]["Tracking"]
    assert tracking[0]["TrackingCategoryID"] == demo_id(UK, "tracking", "Department")
    assert tracking[0]["TrackingOptionID"] == demo_id(UK, "tracking/Department", "Sales")
    three = [
        {"Name": "Department", "Option": "Sales"},
        {"Name": "Region", "Option": "North"},
        {"Name": "Legacy Projects", "Option": "Apollo"},
    ]
    assert single_error(xero, spend(LineItems=[line(*three)])) == [
        "A line item can have a maximum of 2 tracking categories."
    ]
    assert single_error(
        xero, spend(LineItems=[line({"Name": "Department", "Option": "Operations"})])
    ) == [
        "The Tracking Option 'Operations' does not exist or has been archived for Tracking "
        "Category 'Department'."
    ]
    assert single_error(
        xero, spend(LineItems=[line({"Name": "Legacy Projects", "Option": "Apollo"})])
    ) == ["The Tracking Category 'Legacy Projects' does not exist or has been archived."]


def test_foreign_currency_card(xero: Xero) -> None:
    usd = put(xero, spend(BankAccount={"Code": "092"})).json()["BankTransactions"][0]
    assert usd["CurrencyCode"] == "USD"
    assert usd["CurrencyRate"] == pytest.approx(1 / 0.79, rel=1e-4)  # deterministic "XE" rate
    given = put(xero, spend(BankAccount={"Code": "092"}, CurrencyRate=1.25)).json()
    assert given["BankTransactions"][0]["CurrencyRate"] == 1.25
    assert single_error(xero, spend(BankAccount={"Code": "092"}, CurrencyCode="GBP")) == [
        "The CurrencyCode GBP does not match the currency of the bank account (USD)."
    ]
    assert single_error(xero, spend(CurrencyRate=1.3)) == [
        "A CurrencyRate can only be specified for transactions not in the base currency GBP."
    ]


def test_period_lock_date(xero: Xero) -> None:
    assert single_error(xero, spend(Date="2023-12-31")) == [
        "The document date cannot be before the period lock date of 31 December 2023"
    ]
    assert put(xero, spend(Date="2024-01-01")).status_code == 200


def test_summarize_errors_true_rejects_the_whole_batch(xero: Xero) -> None:
    good, bad = spend(Reference="good"), spend(Reference="bad", BankAccount={"Code": "429"})
    response = put(xero, good, bad)  # summarizeErrors absent = true
    assert response.status_code == 400
    assert [e["Reference"] for e in response.json()["Elements"]] == ["bad"]
    assert xero("GET", "/BankTransactions").json()["BankTransactions"] == []


def test_summarize_errors_false_saves_the_valid_items(xero: Xero) -> None:
    good, bad = spend(Reference="good"), spend(Reference="bad", BankAccount={"Code": "429"})
    response = put(xero, good, bad, params={"summarizeErrors": "false"})
    assert response.status_code == 200
    body = response.json()
    conforms(body, "BankTransactions")
    ok, error = body["BankTransactions"]
    assert ok["StatusAttributeString"] == "OK"
    assert error["StatusAttributeString"] == "ERROR"
    assert error["ValidationErrors"][0]["Message"].startswith("Account '429' is not a bank")
    stored = xero("GET", "/BankTransactions").json()["BankTransactions"]
    assert [t["Reference"] for t in stored] == ["good"]


def test_idempotency_key_replays_without_creating(xero: Xero) -> None:
    key = {"Idempotency-Key": "expense-42"}
    first = put(xero, spend(), headers=key)
    second = put(xero, spend(), headers=key)
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert len(xero("GET", "/BankTransactions").json()["BankTransactions"]) == 1
    conflict = put(xero, spend(Reference="changed"), headers=key)
    assert conflict.status_code == 400
    assert conflict.json()["Message"] == (
        "Idempotency Key: expense-42 is used with a different request."
    )
    too_long = put(xero, spend(), headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_idempotency_replays_errors_and_is_per_tenant(xero: Xero, headers: dict[str, str]) -> None:
    from spendsync.sandboxes.xero.seed import US_TENANT_ID

    key = {"Idempotency-Key": "k-1"}
    bad = spend(BankAccount={"Code": "429"})
    assert put(xero, bad, headers=key).status_code == 400
    assert put(xero, bad, headers=key).status_code == 400  # the stored error, replayed
    us = spend(BankAccount={"Code": "091"}, Contact={"Name": "Staples"})
    us["LineItems"][0]["TaxType"] = "INPUT"
    response = put(xero, us, headers={**key, "xero-tenant-id": US_TENANT_ID})
    assert response.status_code == 200, response.text


def test_update_replaces_lines_and_delete(xero: Xero) -> None:
    created = put(xero, spend()).json()["BankTransactions"][0]
    identifier = created["BankTransactionID"]
    new_lines = [{"Description": "Taxi", "UnitAmount": 30, "AccountCode": "493"}]
    updated = xero(
        "POST",
        f"/BankTransactions/{identifier}",
        json={"BankTransactions": [{"LineItems": new_lines}]},
    )
    assert updated.status_code == 200, updated.text
    record = updated.json()["BankTransactions"][0]
    assert [line["Description"] for line in record["LineItems"]] == ["Taxi"]
    assert record["Total"] == 30
    assert record["Contact"]["Name"] == "Pret A Manger"  # untouched fields kept
    deleted = xero(
        "POST",
        f"/BankTransactions/{identifier}",
        json={"BankTransactions": [{"BankTransactionID": identifier, "Status": "DELETED"}]},
    )
    assert deleted.json()["BankTransactions"][0]["Status"] == "DELETED"
    again = xero(
        "POST", f"/BankTransactions/{identifier}", json={"BankTransactions": [{"Reference": "x"}]}
    )
    assert again.status_code == 400
    unknown = xero(
        "POST",
        "/BankTransactions/7d1e6c11-1111-4b5a-9c22-000000000000",
        json={"BankTransactions": [{"Reference": "x"}]},
    )
    assert unknown.status_code == 404
    assert unknown.text == "The resource you're looking for cannot be found"


def test_post_without_id_creates(xero: Xero) -> None:
    response = xero("POST", "/BankTransactions", json={"BankTransactions": [spend()]})
    assert response.status_code == 200
    assert len(xero("GET", "/BankTransactions").json()["BankTransactions"]) == 1


def test_transfer_types_cannot_be_created_directly(xero: Xero) -> None:
    assert single_error(xero, spend(Type="SPEND-TRANSFER")) == [
        "Bank transactions of type SPEND-TRANSFER or RECEIVE-TRANSFER can only be created by "
        "creating a bank transfer."
    ]


def test_malformed_json_is_post_data_invalid(xero: Xero) -> None:
    response = xero(
        "PUT",
        "/BankTransactions",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["Type"] == "PostDataInvalidException"
