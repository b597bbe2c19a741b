"""A worker SIGKILLed during Beancount syncs leaves a ledger that loads, and after another worker
recovers the syncs, every transaction is in it exactly once: each write is checked and swapped
in atomically, and a replayed write finds its entry by the transaction id it carries."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from tests.conftest import auth
from tests.connectors.connector_scenarios import push_card_payments
from tests.connectors.contract.beancount import (
    bean_check_errors,
    bean_query,
    link_beancount,
    require_beancount,
)
from tests.connectors.processes import workers
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls

pytestmark = pytest.mark.live
_ID = re.compile(r'^  spendsync_id: "([^"]+)"$', re.MULTILINE)


def _written(ledger: Path) -> list[str]:
    """The transaction ids in spendsync's files, as many times as they occur."""
    return [
        found
        for path in sorted((ledger.parent / "spendsync").glob("*.beancount"))
        for found in _ID.findall(path.read_text())
    ]


def test_sigkill_mid_sync_leaves_a_loading_ledger_with_each_transaction_once(
    settings: Settings, engine: Engine, new_key, tmp_path: Path
) -> None:
    require_beancount()
    own = settings.model_copy(
        update={"jobs_database_url": f"sqlite:///{tmp_path / 'own-jobs.sqlite'}"}
    )
    migrate_jobs_database(own)
    with workers(own, tmp_path / "workers.log") as processes:
        first = processes.start()
        queue = JobQueue(own)
        try:
            with TestClient(create_app(own, engine, queue), raise_server_exceptions=False) as api:
                company = link_beancount(api, auth(new_key().key)).as_dict()
                ledger = own.ledgers_dir / company["id"] / "main.beancount"
                wait_for_pulls(api, company, 5, timeout=120)
                ids, syncs = push_card_payments(api, company, batches=8, per_batch=10)

                deadline = time.monotonic() + 120
                while not _written(ledger):
                    assert time.monotonic() < deadline, processes.output()
                    time.sleep(0.02)
                processes.kill(first)
                at_kill = _written(ledger)
                assert len(at_kill) < len(ids), "the kill came too late to test anything"
                assert bean_check_errors(ledger) == ""  # the ledger loads as the kill left it
                assert len(at_kill) == len(set(at_kill))

                processes.start()  # recovers the killed worker's workflows
                for sync_id in syncs:
                    status = wait_for_sync(api, company, sync_id, timeout=180)
                    assert status["syncStatusCode"] == 2000, processes.output()
                processes.stop()
                written = _written(ledger)
                assert sorted(written) == sorted(ids)  # each transaction exactly once
                assert bean_check_errors(ledger) == ""
                entries = bean_query(
                    ledger,
                    "SELECT DISTINCT entry_meta('spendsync_id') AS id "
                    "WHERE entry_meta('spendsync_id') IS NOT NULL",
                )
                assert len(entries) == len(ids)
        finally:
            queue.close()
