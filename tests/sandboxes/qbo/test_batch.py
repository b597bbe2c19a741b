"""``POST /batch``: up to 30 BatchItemRequests, each answered on its own (entity or Fault)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, card_purchase, fault_of
from tests.sandboxes.qbo.xsd import conforms


def test_batch_mixes_creates_updates_deletes_queries_and_faults(
    us: Qbo, sandbox: QboSandbox
) -> None:
    existing = us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]
    doomed = us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]
    items: list[dict[str, Any]] = [
        {"bId": "1", "operation": "create", "Purchase": card_purchase(sandbox, DocNumber="b1")},
        {"bId": "2", "operation": "create", "Purchase": card_purchase(sandbox, DocNumber="y" * 30)},
        {"bId": "3", "operation": "update", "Purchase": {**existing, "PrivateNote": "batched"}},
        {
            "bId": "4",
            "operation": "delete",
            "Purchase": {"Id": doomed["Id"], "SyncToken": doomed["SyncToken"]},
        },
        {"bId": "5", "Query": "select * from Purchase where DocNumber = 'b1'"},
        {"bId": "6", "operation": "update", "Purchase": {**existing, "PrivateNote": "stale"}},
    ]
    response = us("POST", "/batch", json={"BatchItemRequest": items})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"BatchItemResponse", "time"}
    answers = {answer["bId"]: answer for answer in body["BatchItemResponse"]}
    assert answers["1"]["Purchase"]["DocNumber"] == "b1"
    conforms("Purchase", answers["1"]["Purchase"])
    assert answers["2"]["Fault"]["type"] == "ValidationFault"
    conforms("Fault", answers["2"]["Fault"])
    assert answers["3"]["Purchase"]["SyncToken"] == "1"
    assert answers["4"]["Purchase"]["status"] == "Deleted"
    assert answers["5"]["QueryResponse"]["Purchase"][0]["DocNumber"] == "b1"
    assert answers["6"]["Fault"]["Error"][0]["code"] == "5010"  # item 3 already moved it on


def test_batch_of_more_than_30_items_is_refused(us: Qbo, sandbox: QboSandbox) -> None:
    items = [
        {"bId": str(index), "operation": "create", "Purchase": card_purchase(sandbox)}
        for index in range(31)
    ]
    response = us("POST", "/batch", json={"BatchItemRequest": items})
    assert response.status_code == 400
    assert fault_of(response)["element"] == "BatchItemRequest"
    ok = us("POST", "/batch", json={"BatchItemRequest": items[:30]})
    assert len(ok.json()["BatchItemResponse"]) == 30


def test_batch_item_without_bid_or_entity(us: Qbo) -> None:
    response = us(
        "POST",
        "/batch",
        json={"BatchItemRequest": [{"operation": "create", "Purchase": {}}, {"bId": "x"}]},
    )
    answers = response.json()["BatchItemResponse"]
    assert answers[0]["Fault"]["Error"][0]["code"] == "2020"
    assert answers[1]["Fault"]["Error"][0]["code"] == "2010"


def test_batch_counts_as_one_request(client: TestClient, us: Qbo, sandbox: QboSandbox) -> None:
    items = [
        {"bId": str(index), "operation": "create", "Purchase": card_purchase(sandbox)}
        for index in range(12)
    ]
    assert us("POST", "/batch", json={"BatchItemRequest": items}).status_code == 200
    company = sandbox.backend.company(US_REALM_ID)
    assert company is not None
    assert len(company.table("Purchase")) == 12
    assert client.get("/_control/counters").json()["requestsByTenant"] == {US_REALM_ID: 1}
