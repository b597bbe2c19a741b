"""Accepted work whose hand-off to the job engine failed is picked up by the sweep."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from dbos import DBOS
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.connectors.base import LedgerContext
from spendsync.db.base import utcnow
from spendsync.db.engine import make_session_factory
from spendsync.jobs.engine import JobQueue
from spendsync.jobs.sweep import find_undelivered_step, find_unfinished_step, sweep_workflow
from spendsync.syncs.runner import claim_syncs, finish_syncs, push_claimed
from tests.conftest import auth
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.fakes import Receiver, RecordingLedger, link_company


class UnreachableQueue(JobQueue):
    def enqueue_sync(self, sync_id: str, company_id: str) -> None:
        raise ConnectionError("job engine database unreachable")


def test_a_sync_whose_enqueue_failed_is_swept_up(
    settings: Settings, engine: Engine, worker: JobQueue, new_key, ledger: RecordingLedger
) -> None:
    with TestClient(
        create_app(settings, engine, UnreachableQueue(settings)), raise_server_exceptions=False
    ) as broken_api:
        company: dict[str, Any] = link_company(broken_api, engine, auth(new_key().key))
        item = payment()
        response = broken_api.post(
            f"{base(company)}/expense-transactions", json=[item], headers=company["headers"]
        )
        # Accepted and stored: the failed hand-off is not the client's problem.
        assert response.status_code == 200
        sync_id = response.json()["syncId"]
        status = broken_api.get(
            f"{base(company)}/syncs/{sync_id}/status", headers=company["headers"]
        ).json()
        assert status["syncStatusCode"] == 1000
        assert ledger.pushes == []

        DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
        assert wait_for_sync(broken_api, company, sync_id)["syncStatusCode"] == 2000
        assert [p.transaction_id for p in ledger.pushes] == [item["id"]]

        # Sweeping again changes nothing: the workflow id is the sync id.
        DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
        assert len(ledger.pushes) == 1


@pytest.mark.usefixtures("worker")
def test_sweep_leaves_finished_work_alone(
    api: TestClient, company, ledger: RecordingLedger
) -> None:
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
    assert len(ledger.pushes) == 1


def test_the_sweep_hands_over_only_work_the_engine_does_not_have(
    settings: Settings, engine: Engine, worker: JobQueue, new_key, ledger: RecordingLedger
) -> None:
    """A sync that is queued or running is not enqueued again. Enqueueing it would change
    nothing, but each enqueue writes to the engine's tables: over a backlog of a thousand
    queued syncs the sweep once took a third of a worker's time."""
    ledger.hold = threading.Event()
    with (
        TestClient(create_app(settings, engine, worker), raise_server_exceptions=False) as api,
        TestClient(
            create_app(settings, engine, UnreachableQueue(settings)), raise_server_exceptions=False
        ) as broken_api,
    ):
        company: dict[str, Any] = link_company(api, engine, auth(new_key().key))
        running = api.post(
            f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
        ).json()["syncId"]
        assert ledger.held.wait(timeout=30)  # at the platform: started, unfinished
        queued = api.post(
            f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
        ).json()["syncId"]  # behind the running one: the company has one writer
        lost = broken_api.post(
            f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
        ).json()["syncId"]

        syncs, pulls = find_unfinished_step(0.0)
        assert {running, queued, lost} & {sync_id for sync_id, _ in syncs} == {lost}
        assert pulls == []

        ledger.hold.set()
        DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
        for sync_id in (running, queued, lost):
            assert wait_for_sync(api, company, sync_id)["syncStatusCode"] == 2000
        assert len(ledger.pushes) == 3


def test_a_finished_syncs_webhook_that_never_started_is_swept_up(
    settings: Settings,
    engine: Engine,
    worker: JobQueue,
    new_key,
    ledger: RecordingLedger,
    receiver: Receiver,
) -> None:
    """The worker died after a sync's finish was committed and before its delivery started:
    the delivery is pending, and the engine has no workflow for it."""
    with TestClient(
        create_app(settings, engine, UnreachableQueue(settings)), raise_server_exceptions=False
    ) as broken_api:
        company: dict[str, Any] = link_company(broken_api, engine, auth(new_key().key))
        broken_api.post(
            "/webhooks/endpoints", json={"url": receiver.url}, headers=company["headers"]
        ).raise_for_status()
        sync_id = broken_api.post(
            f"{base(company)}/expense-transactions", json=[payment()], headers=company["headers"]
        ).json()["syncId"]
        context = LedgerContext(settings, make_session_factory(engine))
        written = push_claimed(context, sync_id, claim_syncs(context, sync_id))
        assert finish_syncs(context.session_factory, written)  # recorded, never started

        assert find_undelivered_step(0.0) != []
        DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
        receiver.wait_for(1)
        assert json.loads(receiver.requests[0][1])["payload"]["syncId"] == sync_id
        # Started once: the next sweep finds its workflow and leaves it alone.
        assert find_undelivered_step(0.0) == []
        DBOS.start_workflow(sweep_workflow, utcnow(), {"stale_after_seconds": 0}).get_result()
        time.sleep(0.3)
        assert len(receiver.requests) == 1
