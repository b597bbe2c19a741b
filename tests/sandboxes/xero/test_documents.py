"""BankTransfers, Invoices (ACCPAY bills), ManualJournals, Contacts and Currencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spendsync.sandboxes.xero.seed import UK, demo_id
from tests.sandboxes.xero.conftest import messages_of
from tests.sandboxes.xero.spec import conforms

Xero = Callable[..., Any]


def transfer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "FromBankAccount": {"Code": "090"},
        "ToBankAccount": {"Code": "091"},
        "Amount": 250.0,
        "Date": "2024-02-14",
        "Reference": "Card repayment",
    }
    body.update(overrides)
    return body


def test_bank_transfer_creates_two_legs_and_deletes_them(xero: Xero) -> None:
    payload = {"BankTransfers": [transfer()]}
    conforms(payload, "BankTransfers")
    response = xero("PUT", "/BankTransfers", json=payload)
    assert response.status_code == 200, response.text
    body = response.json()
    conforms(body, "BankTransfers")
    created = body["BankTransfers"][0]
    assert created["Amount"] == 250.0
    assert created["Status"] == "AUTHORISED"
    assert created["CreatedDateUTC"].startswith("/Date(")
    legs = xero("GET", "/BankTransactions").json()["BankTransactions"]
    assert {(leg["Type"], leg["BankAccount"]["Code"]) for leg in legs} == {
        ("SPEND-TRANSFER", "090"),
        ("RECEIVE-TRANSFER", "091"),
    }
    identifier = created["BankTransferID"]
    deleted = xero(
        "POST", f"/BankTransfers/{identifier}", json={"BankTransfers": [{"Status": "DELETED"}]}
    )
    assert deleted.status_code == 200
    assert deleted.json()["BankTransfers"][0]["Status"] == "DELETED"
    legs = xero("GET", "/BankTransactions").json()["BankTransactions"]
    assert {leg["Status"] for leg in legs} == {"DELETED"}
    no_update = xero(
        "POST", f"/BankTransfers/{identifier}", json={"BankTransfers": [{"Amount": 1}]}
    )
    assert no_update.status_code == 400


def test_bank_transfer_validation(xero: Xero) -> None:
    def errors(**overrides: Any) -> list[str]:
        body = transfer(**overrides)
        response = xero("PUT", "/BankTransfers", json={"BankTransfers": [body]})
        assert response.status_code == 400
        return messages_of(response.json())

    assert errors(Amount=0) == ["The Amount must be greater than zero."]
    assert errors(ToBankAccount={"Code": "090"}) == [
        "The From and To bank accounts cannot be the same."
    ]
    assert errors(ToBankAccount={"Code": "092"}) == [
        "Bank transfers between accounts of different currencies are not supported: the "
        "FromBankAccount and ToBankAccount must have the same currency."
    ]
    assert errors(FromBankAccount=None) == ["The FromBankAccount must be specified."]
    assert errors(ToBankAccount={"Code": "400"}) == [
        "Account '400' is not a bank account. The BankAccount must be of type BANK."
    ]


def bill(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCPAY",
        "Contact": {"ContactID": demo_id(UK, "contact", "Jane Cooper")},
        "Date": "2024-03-05",
        "DueDate": "2024-03-31",
        "InvoiceNumber": "EXP-1001",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Train ticket", "Quantity": 1, "UnitAmount": 80, "AccountCode": "493"}
        ],
    }
    body.update(overrides)
    return body


def test_accpay_bill_for_a_reimbursable_expense(xero: Xero) -> None:
    payload = {"Invoices": [bill()]}
    conforms(payload, "Invoices")
    response = xero("PUT", "/Invoices", json=payload)
    assert response.status_code == 200, response.text
    body = response.json()
    conforms(body, "Invoices")
    invoice = body["Invoices"][0]
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (80.0, 16.0, 96.0)
    assert invoice["AmountDue"] == 96.0
    assert invoice["Status"] == "AUTHORISED"
    # Multi-invoice reads omit line items unless paged, as Xero does.
    listed = xero("GET", "/Invoices").json()["Invoices"][0]
    assert "LineItems" not in listed
    paged = xero("GET", "/Invoices", params={"page": 1}).json()
    assert paged["Invoices"][0]["LineItems"]
    assert paged["pagination"]["itemCount"] == 1
    voided = xero(
        "POST", f"/Invoices/{invoice['InvoiceID']}", json={"Invoices": [{"Status": "VOIDED"}]}
    )
    assert voided.json()["Invoices"][0]["Status"] == "VOIDED"
    cannot_delete = xero(
        "POST", f"/Invoices/{invoice['InvoiceID']}", json={"Invoices": [{"Status": "DRAFT"}]}
    )
    assert cannot_delete.status_code == 400


def test_accpay_needs_a_contact_and_no_discounts(xero: Xero) -> None:
    response = xero("PUT", "/Invoices", json={"Invoices": [bill(Contact={})]})
    assert messages_of(response.json()) == [
        "The Contact must contain at least 1 of the following elements to identify the "
        "contact: Name, ContactID, ContactNumber"
    ]
    discounted = bill()
    discounted["LineItems"][0]["DiscountRate"] = 10
    response = xero("PUT", "/Invoices", json={"Invoices": [discounted]})
    assert messages_of(response.json()) == [
        "Discounts are not supported on ACCPAY invoices and credit notes."
    ]


def test_bill_marks_contact_as_supplier(xero: Xero) -> None:
    xero("PUT", "/Invoices", json={"Invoices": [bill(Contact={"Name": "New Employee"})]})
    contact = xero("GET", "/Contacts", params={"where": 'Name=="New Employee"'}).json()
    assert contact["Contacts"][0]["IsSupplier"] is True


def test_draft_to_deleted(xero: Xero) -> None:
    draft = xero("PUT", "/Invoices", json={"Invoices": [bill(Status="DRAFT")]}).json()
    identifier = draft["Invoices"][0]["InvoiceID"]
    response = xero("POST", f"/Invoices/{identifier}", json={"Invoices": [{"Status": "DELETED"}]})
    assert response.json()["Invoices"][0]["Status"] == "DELETED"


def journal(*amounts: float, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Narration": "Card fee accrual",
        "Date": "2024-03-31",
        "Status": "POSTED",
        "JournalLines": [
            {"LineAmount": amount, "AccountCode": code, "Description": "fee"}
            for amount, code in zip(amounts, ["404", "091", "429"], strict=False)
        ],
    }
    body.update(overrides)
    return body


def test_manual_journal_must_balance_and_have_narration(xero: Xero) -> None:
    payload = {"ManualJournals": [journal(12.5, -12.5)]}
    conforms(payload, "ManualJournals")
    response = xero("PUT", "/ManualJournals", json=payload)
    assert response.status_code == 200, response.text
    conforms(response.json(), "ManualJournals")
    created = response.json()["ManualJournals"][0]
    assert created["Status"] == "POSTED"
    assert [line["LineAmount"] for line in created["JournalLines"]] == [12.5, -12.5]

    unbalanced = xero("PUT", "/ManualJournals", json={"ManualJournals": [journal(12.5, -10)]})
    assert messages_of(unbalanced.json()) == [
        "The total debits (12.50) must equal total credits (10.00)."
    ]
    no_narration = journal(1, -1)
    del no_narration["Narration"]
    response = xero("PUT", "/ManualJournals", json={"ManualJournals": [no_narration]})
    assert messages_of(response.json()) == ["Narration must be specified."]


def test_manual_journal_lock_date_and_void(xero: Xero) -> None:
    locked = xero(
        "PUT", "/ManualJournals", json={"ManualJournals": [journal(1, -1, Date="2023-06-30")]}
    )
    assert messages_of(locked.json()) == [
        "The document date cannot be before the period lock date of 31 December 2023"
    ]
    created = xero("PUT", "/ManualJournals", json={"ManualJournals": [journal(1, -1)]}).json()
    identifier = created["ManualJournals"][0]["ManualJournalID"]
    voided = xero(
        "POST", f"/ManualJournals/{identifier}", json={"ManualJournals": [{"Status": "VOIDED"}]}
    )
    assert voided.json()["ManualJournals"][0]["Status"] == "VOIDED"


def test_contact_name_is_unique_among_active_contacts(xero: Xero) -> None:
    response = xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Pret A Manger"}]})
    assert response.status_code == 400
    conforms(response.json(), "Error")
    assert messages_of(response.json()) == [
        "The contact name Pret A Manger is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    ]
    twice = xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Twin"}, {"Name": "twin"}]})
    assert twice.status_code == 400
    # An archived contact's name may be reused.
    reused = xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Old Supplier Ltd"}]})
    assert reused.status_code == 200


def test_contact_create_update_and_email_rule(xero: Xero) -> None:
    payload = {"Contacts": [{"Name": "Uber BV", "EmailAddress": "receipts@uber.example"}]}
    conforms(payload, "Contacts")
    created = xero("PUT", "/Contacts", json=payload)
    assert created.status_code == 200
    conforms(created.json(), "Contacts")
    contact = created.json()["Contacts"][0]
    assert contact["IsSupplier"] is False
    updated = xero(
        "POST",
        f"/Contacts/{contact['ContactID']}",
        json={"Contacts": [{"ContactNumber": "SUP-9", "IsSupplier": True}]},
    )
    assert updated.json()["Contacts"][0]["ContactNumber"] == "SUP-9"
    assert updated.json()["Contacts"][0]["IsSupplier"] is False  # read-only, set by usage
    # POST without an id matches on name and updates instead of duplicating.
    upsert = xero("POST", "/Contacts", json={"Contacts": [{"Name": "Uber BV", "FirstName": "U"}]})
    assert upsert.json()["Contacts"][0]["ContactID"] == contact["ContactID"]
    bad_email = xero("PUT", "/Contacts", json={"Contacts": [{"Name": "X", "EmailAddress": "no"}]})
    assert messages_of(bad_email.json()) == ["Email address must be valid."]


def test_add_currency(xero: Xero) -> None:
    payload = {"Code": "AUD", "Description": "Australian Dollar"}
    conforms(payload, "Currency")
    response = xero("PUT", "/Currencies", json=payload)
    assert response.status_code == 200
    codes = [c["Code"] for c in xero("GET", "/Currencies").json()["Currencies"]]
    assert codes == ["GBP", "USD", "EUR", "AUD"]
    again = xero("PUT", "/Currencies", json=payload)
    assert messages_of(again.json()) == [
        "The currency AUD has already been added to this organisation."
    ]
