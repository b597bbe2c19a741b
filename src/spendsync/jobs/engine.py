"""DBOS as spendsync's job engine.

Why DBOS: durable workflows whose steps are checkpointed in a database we already run (SQLite on
the embedded default, PostgreSQL when distributed), queues with per-partition concurrency (one
sync at a time per company, across every worker process) and rate limits, and step retries with
backoff — so spendsync writes no queue, lease or retry loop of its own.

A process is a *worker* when it launches DBOS (it then dequeues and runs workflows); any process
can *enqueue* through a DBOS client, which only writes to the system database.
"""

from __future__ import annotations

import logging
import threading

from dbos import DBOS, DBOSClient, DBOSConfig, EnqueueOptions
from sqlalchemy.orm import Session, sessionmaker

from spendsync.config import Settings
from spendsync.connectors.base import LedgerContext

logger = logging.getLogger("spendsync.jobs")

APP_NAME = "spendsync"
SYNC_QUEUE = "spendsync-syncs"
SYNC_WORKFLOW = "spendsync.run_sync"
PULL_QUEUE = "spendsync-pulls"
PULL_WORKFLOW = "spendsync.run_pull"
WEBHOOK_QUEUE = "spendsync-webhooks"
WEBHOOK_WORKFLOW = "spendsync.deliver_webhook"


# What workflow steps need from the process that runs them.
WorkerContext = LedgerContext

_context: WorkerContext | None = None
_lock = threading.Lock()


def worker_context() -> WorkerContext:
    if _context is None:
        raise RuntimeError("the job worker is not running in this process")
    return _context


def dbos_config(settings: Settings) -> DBOSConfig:
    return {
        "name": APP_NAME,
        "system_database_url": settings.resolved_jobs_database_url(),
        "log_level": settings.log_level.upper(),
        "application_version": "1",
        "notification_listener_polling_interval_sec": 0.1,
    }


def migrate_jobs_database(settings: Settings) -> None:
    """Create or upgrade the job engine's tables, so API-only processes can enqueue before any
    worker has started (`spendsync db upgrade` and `serve` call it)."""
    DBOS.migrate(settings.resolved_jobs_database_url(), schema="dbos")


def launch_worker(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Start DBOS in this process: it recovers its own unfinished workflows, then dequeues."""
    global _context
    # Registers the workflows and steps with DBOS before launch.
    from spendsync.reference import schedule as reference_schedule  # noqa: F401
    from spendsync.reference import tasks as reference_tasks  # noqa: F401
    from spendsync.syncs import tasks as sync_tasks  # noqa: F401
    from spendsync.webhooks import tasks as webhook_tasks  # noqa: F401

    with _lock:
        _context = LedgerContext(settings=settings, session_factory=session_factory)
        DBOS(config=dbos_config(settings))
        DBOS.launch()
        DBOS.register_queue(
            SYNC_QUEUE,
            partition_concurrency=1,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.queue_polling_interval_seconds,
            on_conflict="always_update",
        )
        DBOS.register_queue(
            WEBHOOK_QUEUE,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.queue_polling_interval_seconds,
            on_conflict="always_update",
        )
        DBOS.register_queue(
            PULL_QUEUE,
            partition_concurrency=1,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.queue_polling_interval_seconds,
            on_conflict="always_update",
        )
        from spendsync.jobs.sweep import install_sweep

        install_sweep()
    logger.info("job worker started (concurrency %s)", settings.worker_concurrency)


def shutdown_worker() -> None:
    global _context
    with _lock:
        DBOS.destroy()
        _context = None


class JobQueue:
    """Enqueues workflows from any process, worker or not."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: DBOSClient | None = None
        self._lock = threading.Lock()

    def _dbos_client(self) -> DBOSClient:
        with self._lock:
            if self._client is None:
                self._client = DBOSClient(
                    system_database_url=self._settings.resolved_jobs_database_url(),
                    application_name=APP_NAME,
                )
            return self._client

    def enqueue_sync(self, sync_id: str, company_id: str) -> None:
        """Idempotent: the workflow id is the sync id, so a second enqueue attaches to the first."""
        options: EnqueueOptions = {
            "queue_name": SYNC_QUEUE,
            "workflow_name": SYNC_WORKFLOW,
            "workflow_id": sync_id,
            "queue_partition_key": company_id,
            "app_version": "1",
        }
        self._dbos_client().enqueue(options, sync_id)

    def enqueue_pull(self, pull_id: str, company_id: str) -> None:
        options: EnqueueOptions = {
            "queue_name": PULL_QUEUE,
            "workflow_name": PULL_WORKFLOW,
            "workflow_id": pull_id,
            "queue_partition_key": company_id,
            "app_version": "1",
        }
        self._dbos_client().enqueue(options, pull_id)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None
