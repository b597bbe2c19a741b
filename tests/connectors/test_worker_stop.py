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

from spendsync.config import Settings
from tests.connectors.connector_scenarios import push_card_payments
from tests.connectors.worker_processes import company_on_worker_processes
from tests.expenses.test_expense_sync import wait_for_sync

pytestmark = pytest.mark.live

COMPLETED, PENDING = frozenset({"Completed"}), frozenset({"Pending"})


def _sync_state(
    api: TestClient, company: dict[str, Any], sync_id: str
) -> tuple[int, frozenset[str]]:
    base = f"/companies/{company['id']}/sync/expenses/syncs/{sync_id}"
    status = api.get(f"{base}/status", headers=company["headers"]).json()
    page = api.get(f"{base}/transactions", headers=company["headers"]).json()
    return status["syncStatusCode"], frozenset(t["status"] for t in page["results"])


def test_a_stopped_worker_finishes_its_round_and_takes_no_new_work(
    settings: Settings,
    engine: Engine,
    new_key,
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    with company_on_worker_processes(settings, engine, new_key().key, sandbox_url, tmp_path) as run:
        api, company, books, processes = run.api, run.company, run.books, run.processes
        first = processes.processes[0]
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
            assert wait_for_sync(api, company, sync_id, timeout=90)["syncStatusCode"] == 2000
        processes.stop()
        # Each written exactly once.
        assert len(books.get("BankTransactions")) == len(ids) + len(late_ids)
