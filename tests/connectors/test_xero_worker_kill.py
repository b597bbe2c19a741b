"""A worker SIGKILLed mid-sync loses nothing and duplicates nothing in the ledger: another
worker process (same executor) recovers the pending workflow from its last checkpoint, and
Xero's Idempotency-Key turns a repeated write into a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from tests.conftest import auth
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.xero_support import link
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls

pytestmark = pytest.mark.live


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
        "SPENDSYNC_XERO_CLIENT_ID": settings.xero_client_id or "",
        "SPENDSYNC_XERO_CLIENT_SECRET": CLIENT_SECRET,
        "SPENDSYNC_XERO_AUTHORIZE_URL": settings.xero_authorize_url,
        "SPENDSYNC_XERO_TOKEN_URL": settings.xero_token_url,
        "SPENDSYNC_XERO_CONNECTIONS_URL": settings.xero_connections_url,
        "SPENDSYNC_XERO_API_URL": settings.xero_api_url,
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.05",
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "spendsync", "worker"],
            env=_env(settings),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def own_jobs(settings: Settings, sandbox_url: str, tmp_path: Path) -> Settings:
    """Settings with a job database of this test's own, so only its worker processes run it."""
    configured = settings.model_copy(
        update={
            "jobs_database_url": f"sqlite:///{tmp_path / 'own-jobs.sqlite'}",
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
    return configured


def _count(sandbox_url: str, tenant: str) -> list[dict[str, Any]]:
    token = httpx.post(f"{sandbox_url}/_control/xero/tokens", json={"client_id": CLIENT_ID}).json()[
        "access_token"
    ]
    response = httpx.get(
        f"{sandbox_url}/api.xro/2.0/BankTransactions",
        headers={
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        },
    )
    found: list[dict[str, Any]] = response.json()["BankTransactions"]
    return found


def test_sigkill_mid_sync_loses_and_duplicates_nothing(
    own_jobs: Settings,
    engine: Engine,
    new_key,
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "workers.log"
    first = _start_worker(own_jobs, log)
    queue = JobQueue(own_jobs)
    try:
        with TestClient(create_app(own_jobs, engine, queue), raise_server_exceptions=False) as api:
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
            # Every write to Xero takes a while, so the kill lands while syncs are in flight.
            httpx.post(
                f"{sandbox_url}/_control/faults",
                json={
                    "method": "PUT",
                    "path": "/api.xro/2.0/BankTransactions",
                    "fault": {"kind": "slow", "delay_seconds": 0.4},
                    "probability": 1.0,
                },
            )
            base = f"/companies/{company['id']}/sync/expenses"
            ids: list[str] = []
            syncs: list[str] = []
            for _ in range(4):
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
                    for _ in range(20)
                ]
                ids += [i["id"] for i in items]
                response = api.post(
                    f"{base}/expense-transactions", json=items, headers=company["headers"]
                )
                syncs.append(response.json()["syncId"])

            deadline = time.monotonic() + 60
            while not _count(sandbox_url, tenant):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            time.sleep(0.2)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            written_at_kill = len(_count(sandbox_url, tenant))
            assert written_at_kill < len(ids), "the kill came too late to test anything"

            second = _start_worker(own_jobs, log)  # recovers the killed worker's workflows
            try:
                for sync_id in syncs:
                    assert (
                        wait_for_sync(api, company, sync_id, timeout=90)["syncStatusCode"] == 2000
                    )
            finally:
                second.terminate()
                second.wait(timeout=20)
            records = _count(sandbox_url, tenant)
            assert len(records) == len(ids)  # each transaction exactly once
            for sync_id in syncs:
                page = api.get(
                    f"{base}/syncs/{sync_id}/transactions", headers=company["headers"]
                ).json()
                assert {t["status"] for t in page["results"]} == {"Completed"}
    finally:
        queue.close()
        if first.poll() is None:
            first.kill()
