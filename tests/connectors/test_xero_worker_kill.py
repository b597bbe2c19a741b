"""A worker SIGKILLed mid-sync loses nothing and duplicates nothing in the ledger: another
worker process (same executor) recovers the pending workflow from its last checkpoint, and
Xero's Idempotency-Key turns a repeated write into a replay."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from spendsync.config import Settings
from tests.connectors.connector_scenarios import push_card_payments
from tests.connectors.worker_processes import company_on_worker_processes
from tests.expenses.test_expense_sync import wait_for_sync

pytestmark = pytest.mark.live


def test_sigkill_mid_sync_loses_and_duplicates_nothing(
    settings: Settings,
    engine: Engine,
    new_key,
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    # The killed worker holds both of the tenant's call slots on PostgreSQL (the throttle is
    # shared there): its successor gets them back once its heartbeat has stopped.
    with company_on_worker_processes(settings, engine, new_key().key, sandbox_url, tmp_path) as run:
        api, company, books, processes = run.api, run.company, run.books, run.processes
        ids, syncs = push_card_payments(api, company, batches=4, per_batch=50)

        deadline = time.monotonic() + 60
        while not books.get("BankTransactions"):
            assert time.monotonic() < deadline, processes.output()
            time.sleep(0.05)
        time.sleep(0.2)
        processes.kill(processes.processes[0])
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
