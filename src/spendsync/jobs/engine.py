"""DBOS as spendsync's job engine.

Why DBOS: durable workflows whose steps are checkpointed in a database we already run (SQLite on
the embedded default, PostgreSQL when distributed), queues with per-partition concurrency (one
writer per company, across every worker process) and rate limits, and step retries with
backoff — so spendsync writes no queue, lease or retry loop of its own.

A process is a *worker* when it launches DBOS (it then dequeues and runs workflows); any process
can *enqueue* through a DBOS client, which only writes to the system database.

Recovery. DBOS resumes a workflow from its last checkpoint when it is recovered; it recovers
the workflows of its own executor id at launch. On PostgreSQL each worker process has an id of
its own and records a heartbeat (`worker_heartbeats`) every `worker_heartbeat_seconds`; the
sweep (every 10 s, on one worker) hands the unfinished workflows of every worker silent for
`worker_dead_after_seconds` back to the queues, where the surviving workers take them. A killed
worker's syncs therefore resume elsewhere within dead-after + 10 s (40 s by default), without
that process coming back. A cleanly stopped worker takes no new work, finishes the rounds it is
writing (at most `worker_stop_seconds`), then records its stop, so what is left moves at the
next sweep. Writes carry idempotency keys derived from our ids, so a resumed step that repeats
a write the dead worker already made is a replay at the platform, not a duplicate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from dbos import DBOS, DBOSClient, DBOSConfig, EnqueueOptions
from dbos import _dbos as dbos_module
from sqlalchemy.orm import Session, sessionmaker

from spendsync.config import Settings
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.throttle import worker_process
from spendsync.db.base import utcnow
from spendsync.db.errors import database_unavailable
from spendsync.jobs.models import WorkerHeartbeat

logger = logging.getLogger("spendsync.jobs")
P = ParamSpec("P")
R = TypeVar("R")

APP_NAME = "spendsync"
SYNC_QUEUE = "spendsync-syncs"
SYNC_WORKFLOW = "spendsync.run_sync"
PULL_QUEUE = "spendsync-pulls"
PULL_WORKFLOW = "spendsync.run_pull"
WEBHOOK_QUEUE = "spendsync-webhooks"
WEBHOOK_WORKFLOW = "spendsync.deliver_webhook"


def delivery_workflow_id(delivery_id: str) -> str:
    """A webhook delivery's workflow id: enqueueing one twice attaches to the first."""
    return f"webhook-{delivery_id}"


# What workflow steps need from the process that runs them.
WorkerContext = LedgerContext

_context: WorkerContext | None = None
_jobs: JobQueue | None = None
_lock = threading.Lock()


def worker_context() -> WorkerContext:
    if _context is None:
        raise RuntimeError("the job worker is not running in this process")
    return _context


def start_deliveries(delivery_ids: Sequence[str]) -> None:
    """Start webhook deliveries from any thread of a worker, inside a step too (where DBOS
    itself cannot enqueue): through the worker's DBOS client. One that fails to start is left
    to the sweep, which starts every pending delivery the engine has no workflow for."""
    if not delivery_ids:
        return
    jobs = _jobs
    try:
        if jobs is None:
            raise RuntimeError("the job worker is not running in this process")
        schedule = list(worker_context().settings.webhook_retry_schedule_seconds)
        for delivery_id in delivery_ids:
            jobs.enqueue_delivery(delivery_id, schedule)
    except Exception:
        logger.exception("webhook deliveries not started; the sweep will start them")


def database_step(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A step that only touches spendsync's database: it waits out a restart of that database
    (tried again after 1 s, 2 s, 4 s, … about 8 minutes in all) instead of failing the
    workflow. DBOS itself waits for its own system database the same way."""
    return DBOS.step(
        name=name,
        retries_allowed=True,
        max_attempts=10,
        interval_seconds=1.0,
        backoff_rate=2.0,
        should_retry=database_unavailable,
    )


def executor_id(settings: Settings) -> str:
    """One process on SQLite is `local` (restarted, DBOS resumes its work at launch); on
    PostgreSQL every worker process is distinct, so that recovering a dead worker's workflows
    never takes over a live one's."""
    if settings.worker_id:
        return settings.worker_id
    if settings.resolved_jobs_database_url().startswith("sqlite"):
        return "local"
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


# A queue-wide limit that never binds. With one, DBOS claims queued work under SERIALIZABLE
# isolation instead of REPEATABLE READ, so two workers claiming at the same moment cannot both
# start a workflow of one partition (company): a sync of each company at a time, across
# processes. Without it, the distributed load test once saw two syncs of a company overlap.
UNBOUNDED = 1_000_000


def dbos_config(settings: Settings, executor: str = "local") -> DBOSConfig:
    return {
        "name": APP_NAME,
        "system_database_url": settings.resolved_jobs_database_url(),
        "log_level": settings.log_level.upper(),
        "application_version": "1",
        "notification_listener_polling_interval_sec": 0.1,
        "executor_id": executor,
        "sys_db_pool_size": settings.jobs_db_pool_size,
    }


class Heartbeat:
    """Records every `interval` that this worker is alive; on a clean stop, records it dead at
    once so that its unfinished workflows move to another worker without waiting."""

    def __init__(
        self, session_factory: sessionmaker[Session], executor: str, interval: float
    ) -> None:
        self._factory = session_factory
        self.executor = executor
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spendsync-heartbeat", daemon=True)

    def beat(self, at: datetime | None = None) -> None:
        with self._factory() as session:
            row = session.get(WorkerHeartbeat, self.executor)
            if row is None:
                row = WorkerHeartbeat(executor_id=self.executor)
                session.add(row)
            # A restarted worker keeping its executor id (SQLite's `local`) is a new process:
            # what the old one held is not kept alive by this heartbeat.
            row.host, row.pid = socket.gethostname(), os.getpid()
            row.last_seen = at or utcnow()
            session.commit()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.beat()
            except Exception:  # the database is briefly away: the next beat retries
                logger.warning("could not record the worker heartbeat", exc_info=True)

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.beat(at=datetime(1970, 1, 1, tzinfo=UTC))
        except Exception:
            logger.warning("could not record the worker's stop", exc_info=True)


_heartbeat: Heartbeat | None = None


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

    global _heartbeat, _jobs
    with _lock:
        executor = executor_id(settings)
        _jobs = JobQueue(settings)
        _context = LedgerContext(
            settings=settings,
            session_factory=session_factory,
            worker_id=worker_process(executor, os.getpid()),
        )
        # Alive before it runs anything: what it holds is judged by its heartbeat.
        _heartbeat = Heartbeat(session_factory, executor, settings.worker_heartbeat_seconds)
        _heartbeat.start()
        DBOS(config=dbos_config(settings, executor))
        DBOS.launch()
        DBOS.register_queue(
            SYNC_QUEUE,
            partition_concurrency=1,
            global_concurrency=UNBOUNDED,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.queue_polling_interval_seconds,
            on_conflict="always_update",
        )
        DBOS.register_queue(
            WEBHOOK_QUEUE,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.background_polling_interval_seconds,
            on_conflict="always_update",
        )
        DBOS.register_queue(
            PULL_QUEUE,
            partition_concurrency=1,
            global_concurrency=UNBOUNDED,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.background_polling_interval_seconds,
            on_conflict="always_update",
        )
        from spendsync.jobs.sweep import install_sweep

        install_sweep()
    logger.info("job worker started (concurrency %s)", settings.worker_concurrency)


class _Rounds:
    """The company rounds this process is writing (a sync workflow's claim → finish)."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def wait_finished(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


_rounds = _Rounds()


def writing_round() -> AbstractContextManager[None]:
    """Wrap a round of a company's syncs: a clean stop waits for it (see shutdown_worker)."""
    return _rounds.writing()


def _stop_dequeuing() -> None:
    """Stop DBOS's queue threads, so that nothing new starts here while the rounds under way
    finish. DBOS's destroy() does this first thing, but it then waits for *every* active
    workflow (a webhook delivery sleeping until its next attempt holds it for the whole
    timeout), so spendsync stops them itself and waits for its rounds only. The stop events
    are DBOS's own attribute; should a release rename it, the stop still works, only without
    closing the queues early."""
    instance = getattr(dbos_module, "_dbos_global_instance", None)
    for event in getattr(instance, "background_thread_stop_events", None) or []:
        event.set()


def shutdown_worker(wait_seconds: float | None = None) -> None:
    """Stop cleanly: take no new work, let the rounds under way finish (at most
    `wait_seconds`, default `worker_stop_seconds`), then record the stop. The heartbeat lasts
    until then, so the call slots of batches still in flight stay held; a round still running
    after the wait is resumed by another worker from its last checkpoint."""
    global _context, _heartbeat, _jobs
    with _lock:
        if _context is not None:
            _context.stopping.set()
            _stop_dequeuing()
            wait = _context.settings.worker_stop_seconds if wait_seconds is None else wait_seconds
            if not _rounds.wait_finished(wait):
                logger.warning(
                    "stopping with rounds still being written: another worker resumes them"
                )
        DBOS.destroy()
        if _heartbeat is not None:
            _heartbeat.stop()
            _heartbeat = None
        if _jobs is not None:
            _jobs.close()
            _jobs = None
        _context = None


def worker_stopping() -> bool:
    """Whether this process's worker is stopping (see shutdown_worker)."""
    return _context is None or _context.stopping.is_set()


def own_executor_id() -> str | None:
    return _heartbeat.executor if _heartbeat is not None else None


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

    def enqueue_delivery(self, delivery_id: str, schedule: list[float]) -> None:
        options: EnqueueOptions = {
            "queue_name": WEBHOOK_QUEUE,
            "workflow_name": WEBHOOK_WORKFLOW,
            "workflow_id": delivery_workflow_id(delivery_id),
            "app_version": "1",
        }
        self._dbos_client().enqueue(options, delivery_id, schedule)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None
