"""Request and response bodies against Intuit's XSD data model (skipped without ../shared/specs).

QBO's JSON uses the XSD's element names; :mod:`tests.sandboxes.qbo.xsd` rebuilds the XML and
validates it, so every seeded record, every response envelope (``IntuitResponse``: entity,
``QueryResponse``, ``BatchItemResponse``, ``AttachableResponse``, ``Fault``, ``@time``) and the
requests the tests send are checked against the same schema the real service publishes.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, card_purchase, ids
from tests.sandboxes.qbo.test_upload import _upload
from tests.sandboxes.qbo.xsd import validate


def _response(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    validate("IntuitResponse", body)
    return body


@pytest.mark.parametrize("realm", [US_REALM_ID, UK_REALM_ID])
def test_every_seeded_record_is_valid(sandbox: QboSandbox, realm: str) -> None:
    company = sandbox.backend.company(realm)
    assert company is not None
    checked = 0
    for entity, records in company.records.items():
        for record in records.values():
            validate(entity, record)
            checked += 1
    assert checked > 30


def test_entity_query_and_fault_envelopes(us: Qbo, sandbox: QboSandbox) -> None:
    body = card_purchase(sandbox)
    validate("Purchase", body)
    created = _response(us("POST", "/purchase", json=body))["Purchase"]
    _response(us("GET", f"/purchase/{created['Id']}"))
    for entity in ("Account", "Vendor", "Customer", "Employee", "Class", "Department", "TaxCode"):
        _response(us("GET", "/query", params={"query": f"select * from {entity}"}))
    _response(us("GET", "/query", params={"query": "select count(*) from Purchase"}))
    _response(us("GET", f"/companyinfo/{US_REALM_ID}"))
    _response(us("GET", "/preferences"))
    _response(us("POST", "/purchase", json={}))  # 400 Fault
    _response(us("GET", "/query", params={"query": "select"}))  # 400 Fault
    deleted = us(
        "POST",
        "/purchase",
        params={"operation": "delete"},
        json={"Id": created["Id"], "SyncToken": created["SyncToken"]},
    )
    _response(deleted)


def test_auth_and_throttle_faults(client: TestClient, us: Qbo, sandbox: QboSandbox) -> None:
    _response(client.get(f"/v3/company/{US_REALM_ID}/preferences"))  # 401
    for _ in range(10):
        us("GET", "/preferences")
    throttled = us("GET", "/preferences")
    assert throttled.status_code == 429
    _response(throttled)


def test_batch_request_and_response(us: Qbo, sandbox: QboSandbox) -> None:
    request = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Purchase": card_purchase(sandbox)},
            {"bId": "2", "operation": "create", "Purchase": card_purchase(sandbox, Line=[])},
            {"bId": "3", "Query": "select * from Purchase"},
        ]
    }
    validate("IntuitBatchRequest", request)
    _response(us("POST", "/batch", json=request))


def test_upload_response(us: Qbo, sandbox: QboSandbox) -> None:
    purchase = us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]
    _response(_upload(us, purchase["Id"], "base64"))
    _response(_upload(us, "987654", None))


def test_every_transaction_type_in_the_vat_company(uk: Qbo, sandbox: QboSandbox) -> None:
    def ref(entity: str, name: str) -> dict[str, str]:
        return {"value": ids(sandbox, UK_REALM_ID, entity, name)}

    vat = ref("TaxCode", "20.0% S")
    expense_line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 10,
        "AccountBasedExpenseLineDetail": {
            "AccountRef": ref("Account", "Travel"),
            "TaxCodeRef": vat,
        },
    }
    requests: dict[str, dict[str, Any]] = {
        "Purchase": {
            "PaymentType": "CreditCard",
            "AccountRef": ref("Account", "USD Card"),
            "CurrencyRef": {"value": "USD"},
            "ExchangeRate": 0.8,
            "Credit": True,
            "Line": [expense_line],
        },
        "Bill": {"VendorRef": ref("Vendor", "British Airways"), "Line": [expense_line]},
        "Transfer": {
            "FromAccountRef": ref("Account", "Current Account"),
            "ToAccountRef": ref("Account", "Company Card"),
            "Amount": 5,
        },
        "JournalEntry": {
            "Line": [
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": 3,
                    "JournalEntryLineDetail": {
                        "PostingType": posting,
                        "AccountRef": ref("Account", account),
                    },
                }
                for posting, account in (("Debit", "Meals"), ("Credit", "Current Account"))
            ]
        },
        "Deposit": {
            "DepositToAccountRef": ref("Account", "Current Account"),
            "Line": [
                {
                    "DetailType": "DepositLineDetail",
                    "Amount": 4,
                    "DepositLineDetail": {"AccountRef": ref("Account", "Meals"), "TaxCodeRef": vat},
                }
            ],
        },
        "Vendor": {"DisplayName": "New Vendor Ltd", "CurrencyRef": {"value": "EUR"}},
        "Attachable": {"Note": "Receipt to follow", "AttachableRef": []},
    }
    for entity, body in requests.items():
        validate(entity, body)
        response = uk("POST", f"/{entity.lower()}", json=body)
        assert response.status_code == 200, (entity, response.text)
        _response(response)


def test_missing_specs_skip_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from tests.sandboxes.qbo import xsd

    monkeypatch.setattr(xsd, "ROOT_XSD", Path("/nonexistent/IntuitRestServiceDef.xsd"))
    with pytest.raises(pytest.skip.Exception, match="QBO XSDs not found"):
        xsd.schema()
    xsd.conforms("Purchase", {"Foo": 1})  # behaviour tests keep running without the specs
