"""Sandbox traffic checked against Xero's OpenAPI document (skipped when it is absent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spendsync.sandboxes.xero.seed import UK, demo_id
from tests.sandboxes.xero import spec as spec_module
from tests.sandboxes.xero.conftest import spend
from tests.sandboxes.xero.spec import ACCOUNTING_SPEC, spec, validate

Xero = Callable[..., Any]


def test_absent_spec_skips_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = Path("/nonexistent/xero_accounting.yaml")
    with pytest.raises(pytest.skip.Exception, match="Xero OpenAPI spec not found"):
        spec_module.spec(missing)
    spec_module.conforms({"anything": 1}, "Error", missing)  # behaviour tests keep running


def test_the_rules_the_sandbox_enforces_are_the_specs() -> None:
    document = spec(ACCOUNTING_SPEC)
    schemas = document["components"]["schemas"]
    assert set(schemas["BankTransaction"]["required"]) == {"Type", "LineItems", "BankAccount"}
    assert set(schemas["BankTransfer"]["required"]) == {
        "FromBankAccount",
        "ToBankAccount",
        "Amount",
    }
    assert schemas["ManualJournal"]["required"] == ["Narration"]
    assert schemas["LineAmountTypes"]["enum"] == ["Exclusive", "Inclusive", "NoTax"]
    parameters = document["components"]["parameters"]
    assert parameters["requiredHeader"]["name"] == "xero-tenant-id"
    assert parameters["idempotencyKey"]["name"] == "Idempotency-Key"
    assert "128" in parameters["idempotencyKey"]["description"]
    put = document["paths"]["/BankTransactions"]["put"]
    names = {p["$ref"].rsplit("/", 1)[-1] for p in put["parameters"]}
    assert {"summarizeErrors", "idempotencyKey"} <= names


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/Organisation", "Organisations"),
        ("/Accounts", "Accounts"),
        ("/TaxRates", "TaxRates"),
        ("/TrackingCategories?includeArchived=true", "TrackingCategories"),
        ("/Contacts?page=1", "Contacts"),
        ("/Currencies", "Currencies"),
    ],
)
def test_reference_reads_conform(xero: Xero, path: str, schema: str) -> None:
    response = xero("GET", path)
    assert response.status_code == 200
    validate(response.json(), schema)


def test_written_documents_and_errors_conform(xero: Xero) -> None:
    requests: list[tuple[str, str, dict[str, Any], str]] = [
        ("PUT", "/BankTransactions", {"BankTransactions": [spend()]}, "BankTransactions"),
        (
            "PUT",
            "/BankTransfers",
            {
                "BankTransfers": [
                    {
                        "FromBankAccount": {"Code": "090"},
                        "ToBankAccount": {"Code": "091"},
                        "Amount": 9,
                    }
                ]
            },
            "BankTransfers",
        ),
        (
            "PUT",
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": demo_id(UK, "contact", "Jane Cooper")},
                        "LineItems": [
                            {"Description": "Taxi", "UnitAmount": 12, "AccountCode": "493"}
                        ],
                    }
                ]
            },
            "Invoices",
        ),
        (
            "PUT",
            "/ManualJournals",
            {
                "ManualJournals": [
                    {
                        "Narration": "Accrual",
                        "JournalLines": [
                            {"LineAmount": 5, "AccountCode": "429"},
                            {"LineAmount": -5, "AccountCode": "800"},
                        ],
                    }
                ]
            },
            "ManualJournals",
        ),
        ("PUT", "/Contacts", {"Contacts": [{"Name": "Conformance Ltd"}]}, "Contacts"),
    ]
    for method, path, body, schema in requests:
        validate(body, schema)
        response = xero(method, path, json=body)
        assert response.status_code == 200, response.text
        validate(response.json(), schema)
        validate(xero("GET", path + "?page=1").json(), schema)
    error = xero("PUT", "/BankTransactions", json={"BankTransactions": [spend(BankAccount={})]})
    validate(error.json(), "Error")
    mixed = xero(
        "PUT",
        "/BankTransactions",
        params={"summarizeErrors": "false"},
        json={"BankTransactions": [spend(), spend(Contact={})]},
    )
    validate(mixed.json(), "BankTransactions")
