"""A worker SIGKILLed mid-sync loses nothing and duplicates nothing in the ledger: another
worker process (same executor) recovers the pending workflow from its last checkpoint, and
Xero's Idempotency-Key turns a repeated write into a replay."""

from __future__ import annotations

import time
from pathlib import Path

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


def test_sigkill_mid_sync_loses_and_duplicates_nothing(
    own_jobs: Settings,
    engine: Engine,
    new_key,
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    # Two calls in flight at most, so that the 200 transactions take several slow calls one
    # after another and the kill lands between them (a writer takes in every queued sync).
    # The killed worker holds both of the tenant's call slots on PostgreSQL (the throttle is
    # shared there): its successor gets them back once its heartbeat has stopped.
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
                # Every write to Xero takes a while, so the kill lands while syncs are in flight.
                slow_bank_transaction_writes(sandbox_url, 0.4)
                ids, syncs = push_card_payments(api, company, batches=4, per_batch=50)

                deadline = time.monotonic() + 60
                while not books.get("BankTransactions"):
                    assert time.monotonic() < deadline, processes.output()
                    time.sleep(0.05)
                time.sleep(0.2)
                processes.kill(first)
                written_at_kill = len(books.get("BankTransactions"))
                assert written_at_kill < len(ids), "the kill came too late to test anything"

                processes.start()  # recovers the killed worker's workflows
                for sync_id in syncs:
                    status = wait_for_sync(api, company, sync_id, timeout=90)
                    assert status["syncStatusCode"] == 2000
                processes.stop()
                assert len(books.get("BankTransactions")) == len(ids)  # each exactly once
                base = f"/companies/{company['id']}/sync/expenses"
                for sync_id in syncs:
                    page = api.get(
                        f"{base}/syncs/{sync_id}/transactions", headers=company["headers"]
                    ).json()
                    assert {t["status"] for t in page["results"]} == {"Completed"}
        finally:
            queue.close()
