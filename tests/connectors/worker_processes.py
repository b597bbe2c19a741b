"""A Xero-linked company whose syncs only `spendsync worker` processes write, for the tests that
stop or kill those processes mid-sync."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue, migrate_jobs_database
from tests.conftest import auth
from tests.connectors.connector_scenarios import platform_ref
from tests.connectors.processes import Workers, workers
from tests.connectors.xero_support import (
    XeroBooks,
    link,
    slow_bank_transaction_writes,
    xero_settings,
)
from tests.reference.test_reference_data import wait_for_pulls


@dataclass
class WorkerRun:
    processes: Workers
    api: TestClient
    company: dict[str, Any]
    books: XeroBooks


@contextmanager
def company_on_worker_processes(
    settings: Settings, engine: Engine, key: str, sandbox_url: str, tmp_path: Path
) -> Iterator[WorkerRun]:
    """A company linked to the Xero sandbox, its reference data read, with a job database of
    its own that only this test's worker processes run (one started). Two calls in flight at
    most and every bank transaction write slowed to 0.4 s: 200 transactions take several calls
    one after another, so a stop or a kill lands in the middle of them."""
    own = settings.model_copy(
        update={
            "jobs_database_url": f"sqlite:///{tmp_path / 'own-jobs.sqlite'}",
            **xero_settings(sandbox_url),
        }
    )
    migrate_jobs_database(own)
    with workers(
        own, tmp_path / "workers.log", **xero_settings(sandbox_url), xero_max_concurrent_calls=2
    ) as processes:
        processes.start()
        queue = JobQueue(own)
        try:
            with TestClient(create_app(own, engine, queue), raise_server_exceptions=False) as api:
                company = link(api, auth(key))
                wait_for_pulls(api, company, 5, timeout=60)
                books = XeroBooks(sandbox_url, platform_ref(api, company))
                slow_bank_transaction_writes(sandbox_url, 0.4)
                yield WorkerRun(processes, api, company, books)
        finally:
            queue.close()
