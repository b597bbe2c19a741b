"""A worker stopped cleanly (SIGTERM, as a deployment or Ctrl-C stops it) finishes the round it
is writing before it exits, takes no new work while it stops, and leaves nothing half-written:
each sync is written in full by it or left queued for the next worker, and nothing is written
twice."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from tests.conftest import auth
from tests.connectors.connector_scenarios import platform_ref, push_card_payments
from tests.connectors.processes import workers
from tests.connectors.xero_support import (
    XeroBooks,
    link,
    slow_bank_transaction_writes,
    xero_settings,
)
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls

pytestmark = pytest.mark.live

COMPLETED, PENDING = frozenset({"Completed"}), frozenset({"Pending"})


@pytest.fixture
def own_jobs(settings: Settings, sandbox_url: str, tmp_path: Path) -> Settings:
    """Settings with a job database of this test's own, so only its worker processes run it."""
    configured = settings.model_copy(
        update={
            "jobs_database_url": f"sqlite:///{tmp_path / 'own-jobs.sqlite'}",
            **xero_settings(sandbox_url),
        }
    )
    migrate_jobs_database(configured)
    return configured


def _sync_state(
    api: TestClient, company: dict[str, Any], sync_id: str
) -> tuple[int, frozenset[str]]:
    base = f"/companies/{company['id']}/sync/expenses/syncs/{sync_id}"
    status = api.get(f"{base}/status", headers=company["headers"]).json()
    page = api.get(f"{base}/transactions", headers=company["headers"]).json()
    return status["syncStatusCode"], frozenset(t["status"] for t in page["results"])


def test_a_stopped_worker_finishes_its_round_and_takes_no_new_work(
    own_jobs: Settings,
    engine: Engine,
    new_key,
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    # Two calls in flight, each write slow: the 200 transactions take several calls one after
    # another, so the stop lands in the middle of the round.
    with workers(
        own_jobs,
        tmp_path / "workers.log",
        **xero_settings(sandbox_url),
        xero_max_concurrent_calls=2,
    ) as processes:
        first = processes.start()
        queue = JobQueue(own_jobs)
        try:
            app = create_app(own_jobs, engine, queue)
            with TestClient(app, raise_server_exceptions=False) as api:
                company = link(api, auth(new_key().key))
                wait_for_pulls(api, company, 5, timeout=60)
                books = XeroBooks(sandbox_url, platform_ref(api, company))
                slow_bank_transaction_writes(sandbox_url, 0.4)
                ids, syncs = push_card_payments(api, company, batches=4, per_batch=50)

                deadline = time.monotonic() + 60
                while not books.get("BankTransactions"):
                    assert time.monotonic() < deadline, processes.output()
                    time.sleep(0.05)
                stopped_at = time.monotonic()
                first.send_signal(signal.SIGTERM)
                assert len(books.get("BankTransactions")) < len(ids), "the stop came too late"
                # A sync sent while the worker stops is not taken in by it.
                time.sleep(0.3)
                late_ids, late = push_card_payments(api, company, batches=1, per_batch=5)
                first.wait(timeout=60)
                took = time.monotonic() - stopped_at
                assert took < 20, f"the worker took {took:.1f}s to stop"
                assert first.returncode == 0, processes.output()

                # Nothing half-written: each sync is complete, or untouched and still queued.
                states = {sync_id: _sync_state(api, company, sync_id) for sync_id in syncs}
                done = [s for s, (code, _) in states.items() if code == 2000]
                assert syncs[0] in done, states  # the round under way was finished
                for sync_id, (code, statuses) in states.items():
                    assert (code, statuses) in {(2000, COMPLETED), (1000, PENDING)}, (
                        sync_id,
                        code,
                        statuses,
                        processes.output(),
                    )
                assert _sync_state(api, company, late[0]) == (1000, PENDING)
                assert len(books.get("BankTransactions")) == 50 * len(done)

                processes.start()  # the next worker takes what is still queued
                for sync_id in [*syncs, *late]:
                    assert (
                        wait_for_sync(api, company, sync_id, timeout=90)["syncStatusCode"] == 2000
                    )
                processes.stop()
                # Each written exactly once.
                assert len(books.get("BankTransactions")) == len(ids) + len(late_ids)
        finally:
            queue.close()
