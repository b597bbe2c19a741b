"""Transfer, Bill, JournalEntry and Deposit: QBO's rules for each, and server totals."""

from __future__ import annotations

from typing import Any

import pytest

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, fault_of, ids
from tests.sandboxes.qbo.xsd import conforms


def _ok(qbo: Qbo, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    conforms(entity, body)
    response = qbo("POST", f"/{entity.lower()}", json=body)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()[entity]
    conforms(entity, record)
    return record


def _account(sandbox: QboSandbox, name: str, realm: str = US_REALM_ID) -> dict[str, str]:
    return {"value": ids(sandbox, realm, "Account", name)}


# --- Transfer -------------------------------------------------------------------------------
def test_transfer_between_balance_sheet_accounts(us: Qbo, sandbox: QboSandbox) -> None:
    record = _ok(
        us,
        "Transfer",
        {
            "FromAccountRef": _account(sandbox, "Checking"),
            "ToAccountRef": _account(sandbox, "Company Card"),
            "Amount": 250.0,
            "TxnDate": "2024-02-01",
            "PrivateNote": "Card repayment",
        },
    )
    assert record["Amount"] == 250.0
    assert record["ToAccountRef"]["name"] == "Company Card"


@pytest.mark.parametrize(
    ("source", "target", "code"),
    [
        ("Checking", "Travel", "6000"),  # an expense account is not a balance-sheet account
        ("Sales", "Checking", "6000"),
        ("Checking", "Checking", "6000"),
    ],
)
def test_transfer_rules(us: Qbo, sandbox: QboSandbox, source: str, target: str, code: str) -> None:
    body = {
        "FromAccountRef": _account(sandbox, source),
        "ToAccountRef": _account(sandbox, target),
        "Amount": 10,
    }
    response = us("POST", "/transfer", json=body)
    assert response.status_code == 400
    assert fault_of(response)["code"] == code


def test_transfer_requires_amount_and_accounts(us: Qbo, sandbox: QboSandbox) -> None:
    response = us("POST", "/transfer", json={"FromAccountRef": _account(sandbox, "Checking")})
    assert fault_of(response)["code"] == "2020"


def test_transfer_between_two_foreign_currencies_is_refused(uk: Qbo, sandbox: QboSandbox) -> None:
    body = {
        "FromAccountRef": _account(sandbox, "EUR Account", UK_REALM_ID),
        "ToAccountRef": _account(sandbox, "USD Card", UK_REALM_ID),
        "Amount": 10,
    }
    assert fault_of(uk("POST", "/transfer", json=body))["code"] == "6000"
    home_to_usd = {**body, "FromAccountRef": _account(sandbox, "Current Account", UK_REALM_ID)}
    assert uk("POST", "/transfer", json=home_to_usd).status_code == 200


# --- Bill -----------------------------------------------------------------------------------
def _bill(sandbox: QboSandbox, vendor: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "VendorRef": vendor,
        "TxnDate": "2024-02-10",
        "DocNumber": "EXP-1",
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 80,
                "Description": "Taxi",
                "AccountBasedExpenseLineDetail": {"AccountRef": _account(sandbox, "Travel")},
            },
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 20,
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": _account(sandbox, "Travel:Airfare")
                },
            },
        ],
    }
    body.update(overrides)
    return body


def test_bill_for_a_vendor(us: Qbo, sandbox: QboSandbox) -> None:
    vendor = {"value": ids(sandbox, US_REALM_ID, "Vendor", "Delta Air Lines")}
    record = _ok(us, "Bill", _bill(sandbox, vendor))
    assert record["TotalAmt"] == 100.0
    assert record["Balance"] == 100.0
    assert record["DueDate"] == "2024-02-10"
    assert record["APAccountRef"]["name"] == "Accounts Payable (A/P)"


def test_bill_vendor_ref_must_be_a_vendor_not_an_employee(us: Qbo, sandbox: QboSandbox) -> None:
    employee = {"value": ids(sandbox, US_REALM_ID, "Employee", "Jane Doe")}
    response = us("POST", "/bill", json=_bill(sandbox, employee))
    assert response.status_code == 400
    assert fault_of(response)["code"] == "2500"
    missing = _bill(sandbox, employee)
    del missing["VendorRef"]
    assert fault_of(us("POST", "/bill", json=missing))["code"] == "2020"


def test_bill_ap_account_must_be_accounts_payable(us: Qbo, sandbox: QboSandbox) -> None:
    vendor = {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples")}
    body = _bill(sandbox, vendor, APAccountRef=_account(sandbox, "Checking"))
    assert fault_of(us("POST", "/bill", json=body))["code"] == "6000"


def test_bill_currency_must_match_the_vendor(uk: Qbo, sandbox: QboSandbox) -> None:
    lufthansa = {"value": ids(sandbox, UK_REALM_ID, "Vendor", "Lufthansa")}
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 50,
        "AccountBasedExpenseLineDetail": {
            "AccountRef": _account(sandbox, "Travel", UK_REALM_ID),
            "TaxCodeRef": {"value": ids(sandbox, UK_REALM_ID, "TaxCode", "Exempt")},
        },
    }
    gbp = {"VendorRef": lufthansa, "Line": [line]}
    assert fault_of(uk("POST", "/bill", json=gbp))["code"] == "6000"
    eur = _ok(uk, "Bill", {**gbp, "CurrencyRef": {"value": "EUR"}, "ExchangeRate": 0.85})
    assert eur["HomeBalance"] == 42.5
    assert eur["CurrencyRef"]["value"] == "EUR"


# --- JournalEntry ---------------------------------------------------------------------------
def _journal(sandbox: QboSandbox, debit: float, credit: float, **extra: Any) -> dict[str, Any]:
    def line(posting: str, amount: float, account: str) -> dict[str, Any]:
        return {
            "DetailType": "JournalEntryLineDetail",
            "Amount": amount,
            "JournalEntryLineDetail": {
                "PostingType": posting,
                "AccountRef": _account(sandbox, account),
            },
        }

    return {
        "TxnDate": "2024-02-29",
        "DocNumber": "ADJ-1",
        "Line": [line("Debit", debit, "Bank Charges"), line("Credit", credit, "Checking")],
        **extra,
    }


def test_balanced_journal_entry(us: Qbo, sandbox: QboSandbox) -> None:
    record = _ok(us, "JournalEntry", _journal(sandbox, 12.5, 12.5))
    assert record["TotalAmt"] == 12.5
    assert [line["JournalEntryLineDetail"]["PostingType"] for line in record["Line"]] == [
        "Debit",
        "Credit",
    ]


def test_unbalanced_journal_entry_is_refused(us: Qbo, sandbox: QboSandbox) -> None:
    response = us("POST", "/journalentry", json=_journal(sandbox, 12.5, 10))
    assert response.status_code == 400
    assert fault_of(response)["code"] == "6000"


def test_journal_entry_posting_type_is_required(us: Qbo, sandbox: QboSandbox) -> None:
    body = _journal(sandbox, 1, 1)
    del body["Line"][0]["JournalEntryLineDetail"]["PostingType"]
    assert fault_of(us("POST", "/journalentry", json=body))["code"] == "2020"


def test_accounts_payable_line_needs_a_vendor(us: Qbo, sandbox: QboSandbox) -> None:
    body = _journal(sandbox, 5, 5)
    detail = body["Line"][1]["JournalEntryLineDetail"]
    detail["AccountRef"] = _account(sandbox, "Accounts Payable (A/P)")
    assert fault_of(us("POST", "/journalentry", json=body))["code"] == "6000"
    detail["Entity"] = {
        "Type": "Vendor",
        "EntityRef": {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples")},
    }
    assert _ok(us, "JournalEntry", body)["TotalAmt"] == 5.0


# --- Deposit --------------------------------------------------------------------------------
def _deposit(sandbox: QboSandbox, account: str = "Checking") -> dict[str, Any]:
    return {
        "DepositToAccountRef": _account(sandbox, account),
        "TxnDate": "2024-03-02",
        "Line": [
            {
                "DetailType": "DepositLineDetail",
                "Amount": 30,
                "DepositLineDetail": {
                    "AccountRef": _account(sandbox, "Office Supplies"),
                    "Entity": {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples")},
                },
            }
        ],
    }


def test_deposit_refund_to_a_bank_account(us: Qbo, sandbox: QboSandbox) -> None:
    record = _ok(us, "Deposit", _deposit(sandbox))
    assert record["TotalAmt"] == 30.0
    assert record["Line"][0]["DepositLineDetail"]["Entity"]["type"] == "Vendor"


def test_deposit_must_go_to_a_bank_or_current_asset_account(us: Qbo, sandbox: QboSandbox) -> None:
    response = us("POST", "/deposit", json=_deposit(sandbox, "Travel"))
    assert fault_of(response)["code"] == "6000"
    assert _ok(us, "Deposit", _deposit(sandbox, "Prepaid Expenses"))["TotalAmt"] == 30.0


# --- Delete ---------------------------------------------------------------------------------
def test_lists_cannot_be_deleted_only_made_inactive(us: Qbo, sandbox: QboSandbox) -> None:
    vendor_id = ids(sandbox, US_REALM_ID, "Vendor", "Staples")
    vendor = us("GET", f"/vendor/{vendor_id}").json()["Vendor"]
    delete = us(
        "POST",
        "/vendor",
        params={"operation": "delete"},
        json={"Id": vendor_id, "SyncToken": vendor["SyncToken"]},
    )
    assert delete.status_code == 400
    assert fault_of(delete)["code"] == "500"
    inactive = us(
        "POST",
        "/vendor",
        json={"Id": vendor_id, "SyncToken": vendor["SyncToken"], "sparse": True, "Active": False},
    )
    assert inactive.json()["Vendor"]["Active"] is False


@pytest.mark.parametrize("entity", ["Transfer", "JournalEntry", "Deposit", "Bill"])
def test_transactions_can_be_deleted(us: Qbo, sandbox: QboSandbox, entity: str) -> None:
    vendor = {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples")}
    body = {
        "Transfer": {
            "FromAccountRef": _account(sandbox, "Checking"),
            "ToAccountRef": _account(sandbox, "Savings"),
            "Amount": 1,
        },
        "JournalEntry": _journal(sandbox, 1, 1),
        "Deposit": _deposit(sandbox),
        "Bill": _bill(sandbox, vendor),
    }[entity]
    record = _ok(us, entity, body)
    response = us(
        "POST",
        f"/{entity.lower()}",
        params={"operation": "delete"},
        json={"Id": record["Id"], "SyncToken": record["SyncToken"]},
    )
    assert response.json()[entity]["status"] == "Deleted"


# --- BillPayment ----------------------------------------------------------------------------
def _payment(sandbox: QboSandbox, bill: dict[str, Any], amount: float) -> dict[str, Any]:
    return {
        "VendorRef": bill["VendorRef"],
        "PayType": "CreditCard",
        "CreditCardPayment": {"CCAccountRef": _account(sandbox, "Company Card")},
        "TotalAmt": amount,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }


def test_bill_payment_reduces_the_bill_balance(us: Qbo, sandbox: QboSandbox) -> None:
    vendor = {"value": ids(sandbox, US_REALM_ID, "Vendor", "Delta Air Lines")}
    bill = _ok(us, "Bill", _bill(sandbox, vendor))
    payment = _ok(us, "BillPayment", _payment(sandbox, bill, 60))
    assert us("GET", f"/bill/{bill['Id']}").json()["Bill"]["Balance"] == 40.0
    too_much = us("POST", "/billpayment", json=_payment(sandbox, bill, 41))
    assert fault_of(too_much)["code"] == "6000"
    wrong_account = _payment(sandbox, bill, 10)
    wrong_account["CreditCardPayment"] = {"CCAccountRef": _account(sandbox, "Checking")}
    assert fault_of(us("POST", "/billpayment", json=wrong_account))["code"] == "6000"
    by_check = {
        **_payment(sandbox, bill, 40),
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": _account(sandbox, "Checking")},
    }
    del by_check["CreditCardPayment"]
    _ok(us, "BillPayment", by_check)
    assert us("GET", f"/bill/{bill['Id']}").json()["Bill"]["Balance"] == 0.0
    us(
        "POST",
        "/billpayment",
        params={"operation": "delete"},
        json={"Id": payment["Id"], "SyncToken": payment["SyncToken"]},
    )
    assert us("GET", f"/bill/{bill['Id']}").json()["Bill"]["Balance"] == 60.0


def test_bill_payment_must_match_the_bill_vendor(us: Qbo, sandbox: QboSandbox) -> None:
    vendor = {"value": ids(sandbox, US_REALM_ID, "Vendor", "Delta Air Lines")}
    bill = _ok(us, "Bill", _bill(sandbox, vendor))
    other = {
        **_payment(sandbox, bill, 5),
        "VendorRef": {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples")},
    }
    assert fault_of(us("POST", "/billpayment", json=other))["code"] == "6000"


# --- Exchange rates -------------------------------------------------------------------------
def test_exchange_rate_read(uk: Qbo, us: Qbo) -> None:
    response = uk(
        "GET", "/exchangerate", params={"sourcecurrencycode": "USD", "asofdate": "2024-03-01"}
    )
    assert response.status_code == 200
    rate = response.json()["ExchangeRate"]
    conforms("ExchangeRate", rate)
    assert (rate["SourceCurrencyCode"], rate["TargetCurrencyCode"], rate["Rate"]) == (
        "USD",
        "GBP",
        0.79,
    )
    assert (
        fault_of(us("GET", "/exchangerate", params={"sourcecurrencycode": "EUR"}))["code"] == "2500"
    )
