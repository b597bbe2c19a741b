"""The expense flow end to end through the API and the job engine, with a recording ledger
standing in for a platform connector (connector behaviour itself is tested per connector)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from spendsync.connectors.base import PushOperation
from spendsync.connectors.registry import (
    PlatformKey,
    register_ledger,
    registered_ledger,
    unregister_ledger,
)
from spendsync.syncs.models import Sync
from tests.conftest import auth
from tests.fakes import RecordingLedger, link_company


def payment(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "Payment",
        "issueDate": "2026-11-02",
        "currency": "GBP",
        "merchantName": "Pret A Manger",
        "bankAccountRef": {"id": "card-1"},
        "lines": [
            {
                "netAmount": 10.0,
                "taxAmount": 2.0,
                "taxRateRef": {"id": "INPUT2"},
                "accountRef": {"id": "429"},
            }
        ],
    }
    body.update(overrides)
    return body


def base(company: dict[str, Any]) -> str:
    return f"/companies/{company['id']}/sync/expenses"


def wait_for_sync(
    api: TestClient, company: dict[str, Any], sync_id: str, timeout: float = 30
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = api.get(
            f"{base(company)}/syncs/{sync_id}/status", headers=company["headers"]
        ).json()
        if status["syncStatusCode"] not in (1000, 1010):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def transactions(api: TestClient, company: dict[str, Any], sync_id: str) -> dict[str, dict]:
    page = api.get(
        f"{base(company)}/syncs/{sync_id}/transactions", headers=company["headers"]
    ).json()
    return {t["transactionId"]: t for t in page["results"]}


def test_payments_sync_to_completed(api: TestClient, company, ledger: RecordingLedger) -> None:
    items = [payment() for _ in range(5)]
    response = api.post(
        f"{base(company)}/expense-transactions", json=items, headers=company["headers"]
    )
    assert response.status_code == 200, response.text
    sync_id = response.json()["syncId"]
    status = wait_for_sync(api, company, sync_id)
    assert status["syncStatusCode"] == 2000
    assert status["syncStatus"] == "Complete"
    assert status["dataPushed"] is True
    assert status["companyId"] == company["id"]
    results = transactions(api, company, sync_id)
    assert {t["status"] for t in results.values()} == {"Completed"}
    assert set(results) == {i["id"] for i in items}
    assert "BankTransaction" in results[items[0]["id"]]["message"]
    # Pushed in batches no larger than the connector allows, in order, each exactly once.
    assert [p.transaction_id for p in ledger.pushes] == [i["id"] for i in items]
    assert len({p.idempotency_key for p in ledger.pushes}) == 5
    one = api.get(
        f"{base(company)}/syncs/{sync_id}/transactions/{items[0]['id']}", headers=company["headers"]
    ).json()
    assert [t["status"] for t in one] == ["Completed"]
    latest = api.get(f"{base(company)}/syncs/latest/status", headers=company["headers"]).json()
    assert latest["syncId"] == sync_id
    listed = api.get(f"{base(company)}/syncs/list/status", headers=company["headers"]).json()
    assert [s["syncId"] for s in listed] == [sync_id]


def test_a_rejected_item_fails_the_sync_but_not_the_others(api: TestClient, company) -> None:
    good, bad = payment(), payment(merchantName="REJECT")
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[good, bad], headers=company["headers"]
    ).json()["syncId"]
    status = wait_for_sync(api, company, sync_id)
    assert status["syncStatusCode"] == 5130
    assert status["syncStatus"] == "PushError"
    assert status["errorMessage"] == (
        f"1 of 2 transactions failed to write: {bad['id']}: Account code '999' is not valid."
    )
    results = transactions(api, company, sync_id)
    assert results[good["id"]]["status"] == "Completed"
    assert results[bad["id"]]["status"] == "PushError"
    assert results[bad["id"]]["message"] == "Account code '999' is not valid."
    last_ok = api.get(f"{base(company)}/syncs/lastSuccessful/status", headers=company["headers"])
    assert last_ok.status_code == 404

    # A failed id may be sent again; a completed one may not.
    retry = api.post(
        f"{base(company)}/expense-transactions",
        json=[{**bad, "merchantName": "Pret"}],
        headers=company["headers"],
    )
    assert retry.status_code == 200
    assert wait_for_sync(api, company, retry.json()["syncId"])["syncStatusCode"] == 2000
    again = api.post(
        f"{base(company)}/expense-transactions", json=[good], headers=company["headers"]
    )
    assert again.status_code == 400
    assert again.json()["error"] == (
        f"One or more transactions have previously been processed: {good['id']}"
    )


def test_validation_reports_every_problem_and_queues_nothing(api: TestClient, company) -> None:
    bad_lines = payment(
        lines=[
            {
                "netAmount": 5_000_001,
                "taxAmount": -1,
                "taxRateRef": {"id": "INPUT2"},
                "accountRef": {"id": "429"},
            },
            {
                "netAmount": 1,
                "accountRef": {"id": "429"},
                "trackingRefs": [{"id": str(i)} for i in range(11)],
            },
        ]
    )
    no_lines = payment(lines=[])
    duplicate = payment()
    response = api.post(
        f"{base(company)}/expense-transactions",
        json=[bad_lines, no_lines, duplicate, duplicate],
        headers=company["headers"],
    )
    assert response.status_code == 400
    errors = {e["itemId"]: e["message"] for e in response.json()["validation"]["errors"]}
    assert (
        errors["Items[0].Lines[0].NetAmount"]
        == "The field NetAmount must be between 0 and 5000000."
    )
    assert (
        errors["Items[0].Lines[0].TaxAmount"]
        == "The field TaxAmount must be between 0 and 5000000."
    )
    assert "Items[0].Lines[1].TrackingRefs" in errors
    assert "Items[1].Lines" in errors
    assert "Items[3].Id" in errors
    assert api.get(f"{base(company)}/syncs/list/status", headers=company["headers"]).json() == []


@pytest.mark.parametrize(
    ("body", "item_id"),
    [
        ([], "Items"),
        ([payment(type="TransferIn")], "Items[0].Type"),
        ([payment(id="not-a-uuid")], "Items[0].Id"),
        ([payment(currency="POUNDS")], "Items[0].Currency"),
        ([payment(currencyRate=0)], "Items[0].CurrencyRate"),
        ([payment(lines=[{"netAmount": "ten"}])], "Items[0].Lines[0].NetAmount"),
        ([payment() for _ in range(51)], "Items"),
        ({"not": "a list"}, "Body"),
    ],
)
def test_malformed_requests_are_400(api: TestClient, company, body: Any, item_id: str) -> None:
    response = api.post(
        f"{base(company)}/expense-transactions", json=body, headers=company["headers"]
    )
    assert response.status_code == 400, response.text
    assert item_id in [e["itemId"] for e in response.json()["validation"]["errors"]]


def test_unsupported_kind_is_422_naming_the_platform(
    api: TestClient, new_key, engine: Engine, ledger: RecordingLedger
) -> None:
    previous = registered_ledger(PlatformKey.DYNAMICS_365_BUSINESS_CENTRAL)
    register_ledger(PlatformKey.DYNAMICS_365_BUSINESS_CENTRAL, ledger.opener)
    try:
        bc = link_company(api, engine, auth(new_key().key), platform="trji")
        reimbursable = {
            "id": str(uuid.uuid4()),
            "contactRef": {"id": "employee-1"},
            "issueDate": "2026-11-02",
            "dueDate": "2026-11-30",
            "currency": "GBP",
            "lines": [{"netAmount": 12.5, "accountRef": {"id": "429"}}],
        }
        response = api.post(
            f"{base(bc)}/reimbursable-expense-transactions",
            json=[reimbursable],
            headers=bc["headers"],
        )
    finally:
        if previous is None:
            unregister_ledger(PlatformKey.DYNAMICS_365_BUSINESS_CENTRAL)
        else:
            register_ledger(PlatformKey.DYNAMICS_365_BUSINESS_CENTRAL, previous)
    assert response.status_code == 422
    assert response.json()["error"] == (
        "Reimbursable expense transactions are not supported by Dynamics 365 Business Central."
    )


def test_update_a_completed_payment(api: TestClient, company, ledger: RecordingLedger) -> None:
    original = payment()
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[original], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    changed = {k: v for k, v in original.items() if k != "id"} | {"merchantName": "Pret Ltd"}
    response = api.put(
        f"{base(company)}/expense-transactions/{original['id']}",
        json=changed,
        headers=company["headers"],
    )
    assert response.status_code == 202
    assert wait_for_sync(api, company, response.json()["syncId"])["syncStatusCode"] == 2000
    update_push = ledger.pushes[-1]
    assert update_push.operation is PushOperation.UPDATE
    assert update_push.existing is not None
    assert update_push.existing.record_id == "BT-1"
    missing = api.put(
        f"{base(company)}/expense-transactions/{uuid.uuid4()}",
        json=changed,
        headers=company["headers"],
    )
    assert missing.status_code == 404


def test_transfer_put_creates_and_refuses_updates_xero_cannot_make(
    api: TestClient, company, ledger: RecordingLedger
) -> None:
    transfer_id = str(uuid.uuid4())
    body = {
        "date": "2026-11-28",
        "description": "Pay off the card",
        "from": {"accountRef": {"id": "bank-1"}, "amount": 500},
        "to": {"accountRef": {"id": "card-1"}, "amount": 500},
    }
    url = f"{base(company)}/transfer-transactions/{transfer_id}"
    first = api.put(url, json=body, headers=company["headers"])
    assert first.status_code == 200
    assert wait_for_sync(api, company, first.json()["syncId"])["syncStatusCode"] == 2000
    # Xero has no update for bank transfers, so a second PUT of the same id is refused.
    second = api.put(url, json={**body, "description": "Card payoff"}, headers=company["headers"])
    assert second.status_code == 422
    assert second.json()["error"] == "Updates of transfer transactions are not supported by Xero."
    assert [p.operation for p in ledger.pushes] == [PushOperation.CREATE]
    same_account = api.put(
        f"{base(company)}/transfer-transactions/{uuid.uuid4()}",
        json={**body, "to": {"accountRef": {"id": "bank-1"}, "amount": 500}},
        headers=company["headers"],
    )
    assert same_account.status_code == 400


def test_transient_platform_errors_are_retried(
    api: TestClient, company, ledger: RecordingLedger
) -> None:
    ledger.unavailable_calls = 2
    item = payment()
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[item], headers=company["headers"]
    ).json()["syncId"]
    assert wait_for_sync(api, company, sync_id)["syncStatusCode"] == 2000
    assert [p.transaction_id for p in ledger.pushes] == [item["id"]]


def test_unlinked_connection_refuses_new_transactions(api: TestClient, company) -> None:
    api.patch(
        f"/companies/{company['id']}/connections/{company['connection']}",
        json={"status": "Unlinked"},
        headers=company["headers"],
    )
    response = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    )
    assert response.status_code == 409
    assert "Unlinked" in response.json()["error"]


def test_other_clients_see_no_syncs(api: TestClient, company, new_key) -> None:
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    other = auth(new_key("other").key)
    assert api.get(f"{base(company)}/syncs/{sync_id}/status", headers=other).status_code == 404
    assert api.get(f"{base(company)}/syncs/list/status", headers=other).status_code == 404
    assert (
        api.post(
            f"{base(company)}/expense-transactions", json=[payment()], headers=other
        ).status_code
        == 404
    )
    wait_for_sync(api, company, sync_id)


def test_a_connector_defect_fails_the_batch_instead_of_hanging(
    api: TestClient, company, ledger: RecordingLedger
) -> None:
    ledger.defect = True
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    status = wait_for_sync(api, company, sync_id)
    assert status["syncStatusCode"] == 5130
    [transaction] = transactions(api, company, sync_id).values()
    assert transaction["message"] == "Internal error while pushing: ValueError"


def wait_until_taken_in(engine: Engine, sync_ids: list[str], runner: str) -> None:
    """Wait until the syncs are marked as written by `runner`'s round."""
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while set(conn.scalars(select(Sync.runner_id).where(Sync.id.in_(sync_ids))).all()) != {
            runner
        }:
            assert time.monotonic() < deadline, "the round never took the syncs in"
            conn.rollback()
            time.sleep(0.02)


def test_a_companys_queued_syncs_are_written_together_with_batches_in_flight(
    api: TestClient, company, ledger: RecordingLedger, engine: Engine
) -> None:
    ledger.max_batch_size, ledger.max_concurrent_pushes = 4, 3
    ledger.hold = threading.Event()
    first = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    assert ledger.held.wait(timeout=30)  # the first sync is at the platform; the rest queue
    # Eight items: the two calls left fit them all, so the round takes every one of them in
    # while the first call is held (it looks for arrivals while a batch waits to fill).
    queued = [[payment() for _ in range(2)] for _ in range(4)]
    queued[2][1]["merchantName"] = "REJECT"
    sync_ids = [
        api.post(
            f"{base(company)}/expense-transactions", json=items, headers=company["headers"]
        ).json()["syncId"]
        for items in queued
    ]
    # Taken into the first sync's round while its call is still at the platform.
    wait_until_taken_in(engine, sync_ids, first)
    ledger.push_seconds = 0.2
    ledger.hold.set()

    assert wait_for_sync(api, company, first)["syncStatusCode"] == 2000
    codes = [wait_for_sync(api, company, sync_id)["syncStatusCode"] for sync_id in sync_ids]
    # Each sync keeps its own outcome; only the one with the refused item failed.
    assert codes == [2000, 2000, 5130, 2000]
    for sync_id, items in zip(sync_ids, queued, strict=True):
        statuses = {k: v["status"] for k, v in transactions(api, company, sync_id).items()}
        assert set(statuses) == {item["id"] for item in items}
    # Eight queued items in batches of four beside the first call: the platform's limit of
    # three in flight was reached, never passed.
    assert ledger.most_in_flight == 3
    # The syncs that arrived while the first was at the platform joined its round: one writer,
    # and they started before the first one's call came back (which finished it).
    with engine.connect() as conn:
        rows = {
            row.id: row
            for row in conn.execute(
                select(Sync.id, Sync.runner_id, Sync.started, Sync.completed).where(
                    Sync.id.in_([first, *sync_ids])
                )
            )
        }
    assert {row.runner_id for row in rows.values()} == {first}
    assert all(rows[sync_id].started < rows[first].completed for sync_id in sync_ids)
    assert sorted(p.transaction_id for p in ledger.pushes) == sorted(
        [item["id"] for items in queued for item in items] + list(transactions(api, company, first))
    )
