"""A worker SIGKILLed during Beancount syncs leaves a ledger that loads, and after another worker
recovers the syncs, every transaction is in it exactly once: each write is checked and swapped
in atomically, and a replayed write finds its entry by the transaction id it carries."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from tests.conftest import auth
from tests.connectors.contract.beancount import (
    bean_check_errors,
    bean_query,
    link_beancount,
    require_beancount,
)
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls

pytestmark = pytest.mark.live
_ID = re.compile(r'^  spendsync_id: "([^"]+)"$', re.MULTILINE)


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SPENDSYNC_DATABASE_URL": settings.resolved_database_url(),
        "SPENDSYNC_JOBS_DATABASE_URL": settings.resolved_jobs_database_url(),
        "SPENDSYNC_DATA_DIR": str(settings.data_dir),
        "SPENDSYNC_SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
        "SPENDSYNC_PUBLIC_URL": settings.public_url,
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.05",
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "spendsync", "worker"],
            env=_env(settings),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


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
    log = tmp_path / "workers.log"
    first = _start_worker(own, log)
    queue = JobQueue(own)
    try:
        with TestClient(create_app(own, engine, queue), raise_server_exceptions=False) as api:
            company = link_beancount(api, auth(new_key().key)).as_dict()
            ledger = own.ledgers_dir / company["id"] / "main.beancount"
            wait_for_pulls(api, company, 5, timeout=120)
            options = api.get(
                f"/companies/{company['id']}/sync/expenses/mappingOptions",
                headers=company["headers"],
            ).json()
            accounts = {a["name"]: a["id"] for a in options["accounts"]}
            base = f"/companies/{company['id']}/sync/expenses"
            ids: list[str] = []
            syncs: list[str] = []
            for _ in range(8):
                items = [
                    {
                        "id": str(uuid.uuid4()),
                        "type": "Payment",
                        "issueDate": "2026-11-05",
                        "currency": "GBP",
                        "merchantName": "Pret A Manger",
                        "bankAccountRef": {"id": accounts["Company Card"]},
                        "lines": [
                            {"netAmount": 3, "accountRef": {"id": accounts["Travel - National"]}}
                        ],
                    }
                    for _ in range(10)
                ]
                ids += [i["id"] for i in items]
                response = api.post(
                    f"{base}/expense-transactions", json=items, headers=company["headers"]
                )
                syncs.append(response.json()["syncId"])

            deadline = time.monotonic() + 120
            while not _written(ledger):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            at_kill = _written(ledger)
            assert len(at_kill) < len(ids), "the kill came too late to test anything"
            assert bean_check_errors(ledger) == ""  # the ledger loads as the kill left it
            assert len(at_kill) == len(set(at_kill))

            second = _start_worker(own, log)  # recovers the killed worker's workflows
            try:
                for sync_id in syncs:
                    status = wait_for_sync(api, company, sync_id, timeout=180)
                    assert status["syncStatusCode"] == 2000, log.read_text()
            finally:
                second.terminate()
                second.wait(timeout=30)
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
        if first.poll() is None:
            first.kill()
            first.wait()
