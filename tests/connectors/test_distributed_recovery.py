"""Distributed recovery on PostgreSQL: two worker processes; the one running a company's syncs
is SIGKILLed and never comes back; the survivor resumes its syncs from their checkpoints once
the dead worker's heartbeat has stopped, and the ledger holds every transaction exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, select, text

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from spendsync.jobs.models import WorkerHeartbeat
from tests.conftest import auth, throwaway_database
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.xero_support import link
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls

pytestmark = pytest.mark.live


@pytest.fixture
def distributed(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    sandbox_url: str,
) -> Iterator[Settings]:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("distributed workers need PostgreSQL (run with --db postgresql)")
    with throwaway_database(request, tmp_path_factory, "distjobs") as jobs_url:
        configured = settings.model_copy(
            update={
                "jobs_database_url": jobs_url,
                "xero_client_id": CLIENT_ID,
                "xero_client_secret": SecretStr(CLIENT_SECRET),
                "xero_authorize_url": f"{sandbox_url}/identity/connect/authorize",
                "xero_token_url": f"{sandbox_url}/connect/token",
                "xero_connections_url": f"{sandbox_url}/connections",
                "xero_revocation_url": f"{sandbox_url}/connect/revocation",
                "xero_api_url": f"{sandbox_url}/api.xro/2.0",
            }
        )
        migrate_jobs_database(configured)
        yield configured


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SPENDSYNC_DATABASE_URL": settings.resolved_database_url(),
        "SPENDSYNC_JOBS_DATABASE_URL": settings.resolved_jobs_database_url(),
        "SPENDSYNC_DATA_DIR": str(settings.data_dir),
        "SPENDSYNC_SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
        "SPENDSYNC_PUBLIC_URL": settings.public_url,
        "SPENDSYNC_XERO_CLIENT_ID": CLIENT_ID,
        "SPENDSYNC_XERO_CLIENT_SECRET": CLIENT_SECRET,
        "SPENDSYNC_XERO_TOKEN_URL": settings.xero_token_url,
        "SPENDSYNC_XERO_CONNECTIONS_URL": settings.xero_connections_url,
        "SPENDSYNC_XERO_API_URL": settings.xero_api_url,
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.05",
        "SPENDSYNC_WORKER_HEARTBEAT_SECONDS": "0.5",
        "SPENDSYNC_WORKER_DEAD_AFTER_SECONDS": "3",
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "spendsync", "worker"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _books(sandbox_url: str, tenant: str) -> list[dict[str, Any]]:
    token = httpx.post(f"{sandbox_url}/_control/xero/tokens", json={"client_id": CLIENT_ID})
    response = httpx.get(
        f"{sandbox_url}/api.xro/2.0/BankTransactions",
        headers={
            "Authorization": f"Bearer {token.json()['access_token']}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        },
    )
    found: list[dict[str, Any]] = response.json()["BankTransactions"]
    return found


def _running(jobs_url: str, sync_ids: list[str]) -> set[str]:
    """The executors running one of the syncs right now."""
    jobs = create_engine(jobs_url)
    try:
        with jobs.connect() as conn:
            executors = conn.execute(
                text(
                    "SELECT executor_id FROM dbos.workflow_status "
                    "WHERE status = 'PENDING' AND workflow_uuid = ANY(:ids)"
                ),
                {"ids": sync_ids},
            ).scalars()
            return set(executors)
    finally:
        jobs.dispose()


def _pid(engine: Engine, executors: set[str]) -> int | None:
    with engine.connect() as conn:
        pids = conn.execute(
            select(WorkerHeartbeat.pid).where(WorkerHeartbeat.executor_id.in_(executors))
        ).scalars()
        return next(iter(pids), None)


def test_a_killed_workers_syncs_resume_on_a_survivor(
    distributed: Settings, engine: Engine, new_key, sandbox_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "workers.log"
    workers = [_start_worker(distributed, log) for _ in range(2)]
    queue = JobQueue(distributed)
    try:
        app = create_app(distributed, engine, queue)
        with TestClient(app, raise_server_exceptions=False) as api:
            company = link(api, auth(new_key().key))
            wait_for_pulls(api, company, 5, timeout=60)
            options = api.get(
                f"/companies/{company['id']}/sync/expenses/mappingOptions",
                headers=company["headers"],
            ).json()
            accounts = {a["name"]: a["id"] for a in options["accounts"]}
            tenant = api.get(
                f"/companies/{company['id']}/data/info", headers=company["headers"]
            ).json()["accountingPlatformRef"]
            httpx.post(
                f"{sandbox_url}/_control/faults",
                json={
                    "method": "PUT",
                    "path": "/api.xro/2.0/BankTransactions",
                    "fault": {"kind": "slow", "delay_seconds": 3.0},
                    "probability": 1.0,
                },
            )
            base = f"/companies/{company['id']}/sync/expenses"
            ids: list[str] = []
            syncs: list[str] = []
            for _ in range(3):
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
                    for _ in range(50)  # one batch: one write, three seconds long
                ]
                ids += [i["id"] for i in items]
                response = api.post(
                    f"{base}/expense-transactions", json=items, headers=company["headers"]
                )
                syncs.append(response.json()["syncId"])

            jobs_url = distributed.resolved_jobs_database_url()
            deadline = time.monotonic() + 60
            while not (running := _running(jobs_url, syncs)):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            time.sleep(1.0)  # the sync's write is now in flight at Xero (it takes 3 s)
            pid = _pid(engine, running)
            assert pid is not None, running
            os.kill(pid, signal.SIGKILL)
            next(w for w in workers if w.pid == pid).wait(timeout=10)
            assert len(_books(sandbox_url, tenant)) < len(ids), "the kill came too late"
            # The dead worker still owns a sync nobody else may take until it is declared dead.
            assert _running(jobs_url, syncs) & running, "the kill fell between two syncs"
            # The survivor alone finishes everything: nobody restarts the killed worker.
            for sync_id in syncs:
                status = wait_for_sync(api, company, sync_id, timeout=120)
                assert status["syncStatusCode"] == 2000, log.read_text()[-3000:]
            assert len(_books(sandbox_url, tenant)) == len(ids)  # each exactly once
    finally:
        queue.close()
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
