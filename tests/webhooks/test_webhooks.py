"""Webhooks: endpoints API, Codat's sync events signed per Standard Webhooks, delivered over a
real loopback socket, retried, and logged."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from tests.conftest import auth
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.fakes import Receiver, RecordingLedger


def deliveries(api: TestClient, headers: dict[str, str], **params: Any) -> list[dict]:
    return api.get("/webhooks/deliveries", params=params, headers=headers).json()["results"]


def wait_for_delivery(
    api: TestClient, headers: dict[str, str], status: str, timeout: float = 20
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [d for d in deliveries(api, headers) if d["status"] == status]
        if found:
            return found[0]
        assert time.monotonic() < deadline, deliveries(api, headers)
        time.sleep(0.05)


def test_successful_sync_event_is_signed_and_delivered(
    api: TestClient, company, receiver: Receiver
) -> None:
    created = api.post(
        "/webhooks/endpoints", json={"url": receiver.url}, headers=company["headers"]
    )
    assert created.status_code == 200
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["eventTypes"] == ["expenses.sync.successful", "expenses.sync.unsuccessful"]

    item = payment()
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[item], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    receiver.wait_for(1)
    headers, body = receiver.requests[0]
    # Verifies the signature and the timestamp, exactly as a receiving application would.
    event = Webhook(endpoint["secret"]).verify(body, headers)
    assert event["eventType"] == "expenses.sync.successful"
    assert event["payload"]["syncId"] == sync_id
    assert event["payload"]["referenceCompany"]["id"] == company["id"]
    assert event["payload"]["transactions"] == [
        {"id": item["id"], "status": "Completed", "errorMessage": None}
    ]
    assert headers["webhook-id"] == event["id"]
    with pytest.raises(Exception):  # noqa: B017, PT011 - any verification error
        Webhook("whsec_" + "A" * 44).verify(body, headers)
    delivered = wait_for_delivery(api, company["headers"], "Succeeded")
    assert delivered["attempts"] == 1
    assert delivered["lastStatusCode"] == 204


def test_unsuccessful_event_carries_failures_and_is_retried(
    api: TestClient, company, receiver: Receiver
) -> None:
    api.post(
        "/webhooks/endpoints",
        json={"url": receiver.url, "eventTypes": ["expenses.sync.unsuccessful"]},
        headers=company["headers"],
    )
    receiver.failures = 2
    good, bad = payment(), payment(merchantName="REJECT")
    ok_sync = api.post(
        f"{base(company)}/expense-transactions", json=[good], headers=company["headers"]
    ).json()
    wait_for_sync(api, company, ok_sync["syncId"])
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[bad], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    receiver.wait_for(3)
    bodies = [json.loads(body) for _, body in receiver.requests]
    assert {b["eventType"] for b in bodies} == {
        "expenses.sync.unsuccessful"
    }  # no event for the good sync
    assert len({b["id"] for b in bodies}) == 1  # the same event, retried
    assert bodies[0]["payload"]["transactions"][0]["status"] == "PushError"
    assert "999" in bodies[0]["payload"]["transactions"][0]["errorMessage"]
    delivered = wait_for_delivery(api, company["headers"], "Succeeded")
    assert delivered["attempts"] == 3
    logged = deliveries(api, company["headers"], query="eventType=expenses.sync.unsuccessful")
    assert [d["id"] for d in logged] == [delivered["id"]]


def test_a_sync_finishes_and_is_announced_when_its_own_items_are_written(
    api: TestClient, company, receiver: Receiver, ledger: RecordingLedger
) -> None:
    """Two syncs written in one round: the one whose item is written first is Completed, and
    its webhook sent, while the other's call is still at the platform."""
    api.post("/webhooks/endpoints", json={"url": receiver.url}, headers=company["headers"])
    ledger.max_batch_size, ledger.max_concurrent_pushes = 1, 2
    ledger.hold, ledger.hold_merchant = threading.Event(), "Slow Ltd"
    slow = api.post(
        f"{base(company)}/expense-transactions",
        json=[payment(merchantName="Slow Ltd")],
        headers=company["headers"],
    ).json()["syncId"]
    assert ledger.held.wait(timeout=30)
    quick = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    try:
        # Written beside the held call, by the same writer (its round took the sync in).
        assert wait_for_sync(api, company, quick, timeout=15)["syncStatusCode"] == 2000
        receiver.wait_for(1)
        status = api.get(f"{base(company)}/syncs/{slow}/status", headers=company["headers"]).json()
        assert status["syncStatusCode"] in (1000, 1010), status  # still at the platform
    finally:
        ledger.hold.set()
    assert wait_for_sync(api, company, slow)["syncStatusCode"] == 2000
    receiver.wait_for(2)
    time.sleep(0.3)  # a second delivery of either event would arrive by now
    events = [json.loads(body)["payload"]["syncId"] for _, body in receiver.requests]
    assert events == [quick, slow]


def test_a_delivery_that_never_succeeds_is_marked_failed(
    api: TestClient, company, receiver: Receiver
) -> None:
    api.post("/webhooks/endpoints", json={"url": receiver.url}, headers=company["headers"])
    receiver.failures = 100
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    failed = wait_for_delivery(api, company["headers"], "Failed")
    assert failed["attempts"] == 3  # the first try and the two retries of the schedule
    assert failed["lastError"].startswith("HTTP 500")


def test_endpoint_management_and_tenancy(api: TestClient, company, new_key) -> None:
    headers = company["headers"]
    for bad in (
        {"url": "ftp://x"},
        {"url": "not a url"},
        {"url": "https://x", "eventTypes": ["nope"]},
        {"url": "https://x", "extra": 1},
    ):
        assert api.post("/webhooks/endpoints", json=bad, headers=headers).status_code == 400, bad
    created = api.post(
        "/webhooks/endpoints", json={"url": "https://example.com/a"}, headers=headers
    ).json()
    secret = api.get(f"/webhooks/endpoints/{created['id']}/secret", headers=headers).json()
    assert secret == {"secret": created["secret"]}
    patched = api.patch(
        f"/webhooks/endpoints/{created['id']}",
        json={"disabled": True, "url": "https://example.com/b"},
        headers=headers,
    ).json()
    assert (patched["disabled"], patched["url"]) == (True, "https://example.com/b")
    other = auth(new_key("other").key)
    assert api.get(f"/webhooks/endpoints/{created['id']}", headers=other).status_code == 404
    assert api.get("/webhooks/endpoints", headers=other).json() == {"results": []}
    assert api.delete(f"/webhooks/endpoints/{created['id']}", headers=other).status_code == 404
    assert api.delete(f"/webhooks/endpoints/{created['id']}", headers=headers).status_code == 204
    assert api.get("/webhooks/endpoints", headers=headers).json() == {"results": []}
