"""Purchase (card spend / refund / debit spend): create, update, sparse, rules, tax, FX."""

from __future__ import annotations

from typing import Any

import pytest

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, card_purchase, fault_of, ids
from tests.sandboxes.qbo.xsd import conforms


def _create(qbo: Qbo, body: dict[str, Any]) -> dict[str, Any]:
    conforms("Purchase", body)
    response = qbo("POST", "/purchase", json=body)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()["Purchase"]
    conforms("Purchase", record)
    return record


def test_create_returns_entity_wrapper_with_server_fields(us: Qbo, sandbox: QboSandbox) -> None:
    response = us("POST", "/purchase", json=card_purchase(sandbox))
    body = response.json()
    assert set(body) == {"Purchase", "time"}
    record = body["Purchase"]
    assert isinstance(record["Id"], str)
    assert record["SyncToken"] == "0"
    assert set(record["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    assert record["TotalAmt"] == 42.5
    assert record["CurrencyRef"]["value"] == "USD"
    assert record["Line"][0]["Id"] == "1"
    assert record["AccountRef"]["name"] == "Company Card"
    read = us("GET", f"/purchase/{record['Id']}").json()["Purchase"]
    assert read == record


def test_total_is_computed_by_the_server(us: Qbo, sandbox: QboSandbox) -> None:
    body = card_purchase(sandbox, TotalAmt=9999)
    line = body["Line"][0]
    body["Line"] = [line, {**line, "Amount": 7.25}]
    record = _create(us, body)
    assert record["TotalAmt"] == 49.75
    assert [line["LineNum"] for line in record["Line"]] == [1, 2]


def test_update_needs_current_sync_token_and_increments_it(us: Qbo, sandbox: QboSandbox) -> None:
    record = _create(us, card_purchase(sandbox))
    update = {**record, "PrivateNote": "changed"}
    first = us("POST", "/purchase", json=update)
    assert first.status_code == 200
    assert first.json()["Purchase"]["SyncToken"] == "1"
    assert first.json()["Purchase"]["MetaData"]["CreateTime"] == record["MetaData"]["CreateTime"]
    stale = us("POST", "/purchase", json=update)  # still SyncToken 0
    assert stale.status_code == 400
    error = fault_of(stale)
    assert (error["code"], error["Message"]) == ("5010", "Stale Object Error")
    missing = us("POST", "/purchase", json={k: v for k, v in update.items() if k != "SyncToken"})
    assert fault_of(missing)["code"] == "2020"


def test_full_update_replaces_and_sparse_update_merges(us: Qbo, sandbox: QboSandbox) -> None:
    record = _create(us, card_purchase(sandbox))
    sparse = us(
        "POST",
        "/purchase",
        json={"Id": record["Id"], "SyncToken": "0", "sparse": True, "DocNumber": "new-doc"},
    ).json()["Purchase"]
    assert sparse["DocNumber"] == "new-doc"
    assert sparse["PrivateNote"] == "Printer paper"
    full = {k: v for k, v in sparse.items() if k != "PrivateNote"}
    replaced = us("POST", "/purchase", json=full).json()["Purchase"]
    assert "PrivateNote" not in replaced
    assert replaced["SyncToken"] == "2"


def test_credit_only_valid_for_credit_card(us: Qbo, sandbox: QboSandbox) -> None:
    refund = _create(us, card_purchase(sandbox, Credit=True))
    assert refund["Credit"] is True
    checking = ids(sandbox, US_REALM_ID, "Account", "Checking")
    cash = card_purchase(sandbox, PaymentType="Cash", AccountRef={"value": checking}, Credit=True)
    response = us("POST", "/purchase", json=cash)
    assert response.status_code == 400
    assert fault_of(response)["code"] == "6000"
    assert "Credit" in fault_of(response)["Detail"]


@pytest.mark.parametrize(
    ("payment_type", "account", "ok"),
    [
        ("CreditCard", "Company Card", True),
        ("CreditCard", "Checking", False),
        ("Cash", "Checking", True),
        ("Check", "Checking", True),
        ("Cash", "Company Card", False),
        ("Check", "Office Supplies", False),
    ],
)
def test_payment_type_needs_matching_account_type(
    us: Qbo, sandbox: QboSandbox, payment_type: str, account: str, ok: bool
) -> None:
    body = card_purchase(
        sandbox,
        PaymentType=payment_type,
        AccountRef={"value": ids(sandbox, US_REALM_ID, "Account", account)},
    )
    response = us("POST", "/purchase", json=body)
    assert response.is_success is ok, response.text
    if not ok:
        assert fault_of(response)["code"] == "6000"


def test_required_fields_and_references(us: Qbo, sandbox: QboSandbox) -> None:
    no_type = card_purchase(sandbox)
    del no_type["PaymentType"]
    assert fault_of(us("POST", "/purchase", json=no_type))["code"] == "2020"
    no_lines = card_purchase(sandbox, Line=[])
    assert fault_of(us("POST", "/purchase", json=no_lines))["element"] == "Line"
    unknown = card_purchase(sandbox, AccountRef={"value": "999999"})
    error = fault_of(us("POST", "/purchase", json=unknown))
    assert (error["code"], error["Message"]) == ("2500", "Invalid Reference Id")
    inactive_vendor = ids(sandbox, US_REALM_ID, "Vendor", "Old Supplier")
    inactive = card_purchase(sandbox, EntityRef={"value": inactive_vendor, "type": "Vendor"})
    error = fault_of(us("POST", "/purchase", json=inactive))
    assert (error["code"], error["Message"]) == ("610", "Object Not Found")
    line = card_purchase(sandbox)
    line["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"] = {
        "value": ids(sandbox, US_REALM_ID, "Account", "Old Expenses")
    }
    assert fault_of(us("POST", "/purchase", json=line))["code"] == "610"
    bad_enum = card_purchase(sandbox, PaymentType="Bitcoin")
    assert fault_of(us("POST", "/purchase", json=bad_enum))["code"] == "2040"


def test_doc_number_at_most_21_characters(us: Qbo, sandbox: QboSandbox) -> None:
    assert us("POST", "/purchase", json=card_purchase(sandbox, DocNumber="x" * 21)).is_success
    response = us("POST", "/purchase", json=card_purchase(sandbox, DocNumber="x" * 22))
    assert response.status_code == 400
    assert fault_of(response)["element"] == "DocNumber"


def test_entity_ref_type_must_match_the_record(us: Qbo, sandbox: QboSandbox) -> None:
    employee = ids(sandbox, US_REALM_ID, "Employee", "Jane Doe")
    as_employee = card_purchase(sandbox, EntityRef={"value": employee, "type": "Employee"})
    assert _create(us, as_employee)["EntityRef"]["type"] == "Employee"
    as_vendor = card_purchase(sandbox, EntityRef={"value": employee, "type": "Vendor"})
    assert fault_of(us("POST", "/purchase", json=as_vendor))["code"] == "2500"


def test_home_currency_only_without_multicurrency(us: Qbo, sandbox: QboSandbox) -> None:
    response = us("POST", "/purchase", json=card_purchase(sandbox, CurrencyRef={"value": "EUR"}))
    assert response.status_code == 400
    assert fault_of(response)["code"] == "6000"


def _uk_purchase(sandbox: QboSandbox, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "PaymentType": "CreditCard",
        "AccountRef": {"value": ids(sandbox, UK_REALM_ID, "Account", "Company Card")},
        "EntityRef": {"value": ids(sandbox, UK_REALM_ID, "Vendor", "Pret A Manger")},
        "TxnDate": "2024-03-01",
        "GlobalTaxCalculation": "TaxExcluded",
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 100,
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {"value": ids(sandbox, UK_REALM_ID, "Account", "Meals")},
                    "TaxCodeRef": {"value": ids(sandbox, UK_REALM_ID, "TaxCode", "20.0% S")},
                },
            }
        ],
    }
    body.update(overrides)
    return body


def test_vat_tax_excluded_adds_tax_to_total(uk: Qbo, sandbox: QboSandbox) -> None:
    record = _create(uk, _uk_purchase(sandbox))
    assert record["TotalAmt"] == 120.0
    assert record["TxnTaxDetail"]["TotalTax"] == 20.0
    tax_line = record["TxnTaxDetail"]["TaxLine"][0]
    assert tax_line["TaxLineDetail"]["TaxPercent"] == 20.0
    assert tax_line["TaxLineDetail"]["NetAmountTaxable"] == 100.0
    assert record["EntityRef"]["type"] == "Vendor"


def test_vat_tax_inclusive_splits_the_gross(uk: Qbo, sandbox: QboSandbox) -> None:
    record = _create(uk, _uk_purchase(sandbox, GlobalTaxCalculation="TaxInclusive"))
    assert record["TotalAmt"] == 100.0
    assert record["Line"][0]["Amount"] == 83.33
    assert record["TxnTaxDetail"]["TotalTax"] == 16.67


def test_vat_lines_need_a_tax_code(uk: Qbo, sandbox: QboSandbox) -> None:
    body = _uk_purchase(sandbox)
    del body["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"]
    response = uk("POST", "/purchase", json=body)
    assert fault_of(response)["code"] == "6000"
    assert _create(uk, {**body, "GlobalTaxCalculation": "NotApplicable"})["TotalAmt"] == 100.0


def test_foreign_currency_on_home_card_with_exchange_rate(uk: Qbo, sandbox: QboSandbox) -> None:
    amazon = ids(sandbox, UK_REALM_ID, "Vendor", "Amazon US")
    body = _uk_purchase(
        sandbox, CurrencyRef={"value": "USD"}, ExchangeRate=0.8, EntityRef={"value": amazon}
    )
    record = _create(uk, body)
    assert record["CurrencyRef"]["value"] == "USD"
    assert record["ExchangeRate"] == 0.8
    assert record["TotalAmt"] == 120.0  # in USD; Purchase has no HomeTotalAmt in the XSD
    defaulted = _create(uk, {**body, "ExchangeRate": None})
    assert defaulted["ExchangeRate"] == 0.79  # the company's rate when omitted


@pytest.mark.parametrize(
    ("card", "currency", "vendor", "ok"),
    [
        ("Company Card", "GBP", "Pret A Manger", True),
        ("USD Card", "USD", "Amazon US", True),
        ("Company Card", "USD", "Amazon US", True),
        ("USD Card", "GBP", "Pret A Manger", False),
        ("USD Card", "EUR", "Lufthansa", False),
        ("Company Card", "EUR", "Amazon US", False),  # vendor currency must match
    ],
)
def test_multicurrency_rules(
    uk: Qbo, sandbox: QboSandbox, card: str, currency: str, vendor: str, ok: bool
) -> None:
    body = _uk_purchase(
        sandbox,
        AccountRef={"value": ids(sandbox, UK_REALM_ID, "Account", card)},
        CurrencyRef={"value": currency},
        EntityRef={"value": ids(sandbox, UK_REALM_ID, "Vendor", vendor)},
    )
    response = uk("POST", "/purchase", json=body)
    assert response.is_success is ok, response.text
    if not ok:
        assert fault_of(response)["code"] == "6000"


def test_delete_purchase(us: Qbo, sandbox: QboSandbox) -> None:
    record = _create(us, card_purchase(sandbox))
    stale = us(
        "POST",
        "/purchase",
        params={"operation": "delete"},
        json={"Id": record["Id"], "SyncToken": "7"},
    )
    assert fault_of(stale)["code"] == "5010"
    deleted = us(
        "POST",
        "/purchase",
        params={"operation": "delete"},
        json={"Id": record["Id"], "SyncToken": record["SyncToken"]},
    )
    assert deleted.status_code == 200
    assert deleted.json()["Purchase"] == {"domain": "QBO", "status": "Deleted", "Id": record["Id"]}
    gone = us("GET", f"/purchase/{record['Id']}")
    assert gone.status_code == 400
    assert fault_of(gone)["code"] == "610"
