"""Distributed recovery on PostgreSQL: two worker processes; the one running a company's syncs
is SIGKILLed and never comes back; the survivor resumes its syncs from their checkpoints once
the dead worker's heartbeat has stopped, and the ledger holds every transaction exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from spendsync.jobs.models import WorkerHeartbeat
from tests.conftest import auth, throwaway_database
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
            update={"jobs_database_url": jobs_url, **xero_settings(sandbox_url)}
        )
        migrate_jobs_database(configured)
        yield configured


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
    with workers(
        distributed,
        tmp_path / "workers.log",
        **xero_settings(sandbox_url),
        worker_heartbeat_seconds=0.5,
        worker_dead_after_seconds=3,
    ) as processes:
        for _ in range(2):
            processes.start()
        queue = JobQueue(distributed)
        try:
            app = create_app(distributed, engine, queue)
            with TestClient(app, raise_server_exceptions=False) as api:
                company = link(api, auth(new_key().key))
                wait_for_pulls(api, company, 5, timeout=60)
                books = XeroBooks(sandbox_url, platform_ref(api, company))
                slow_bank_transaction_writes(sandbox_url, 3.0)
                # One batch each: one write, three seconds long.
                ids, syncs = push_card_payments(api, company, batches=3, per_batch=50)

                jobs_url = distributed.resolved_jobs_database_url()
                deadline = time.monotonic() + 60
                while not (running := _running(jobs_url, syncs)):
                    assert time.monotonic() < deadline, processes.output()
                    time.sleep(0.05)
                time.sleep(1.0)  # the sync's write is now in flight at Xero (it takes 3 s)
                pid = _pid(engine, running)
                assert pid is not None, running
                os.kill(pid, signal.SIGKILL)
                processes.by_pid(pid).wait(timeout=10)
                assert len(books.get("BankTransactions")) < len(ids), "the kill came too late"
                # The dead worker still owns a sync nobody else may take until it is declared dead.
                assert _running(jobs_url, syncs) & running, "the kill fell between two syncs"
                # The survivor alone finishes everything: nobody restarts the killed worker.
                for sync_id in syncs:
                    status = wait_for_sync(api, company, sync_id, timeout=120)
                    assert status["syncStatusCode"] == 2000, processes.output()[-3000:]
                assert len(books.get("BankTransactions")) == len(ids)  # each exactly once
        finally:
            queue.close()
