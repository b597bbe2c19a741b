"""The sweep: work that was accepted but never reached the job engine gets there.

A sync or pull is enqueued right after the commit that accepted it. If that hand-off failed
(the engine's database briefly unreachable, the process killed between commit and enqueue),
the row is still there, unfinished. Every `SWEEP_SCHEDULE`, one worker enqueues every such row
older than `STALE_AFTER` that the engine has no workflow for (the workflow id is the row id).
Webhook deliveries still pending that the engine has no workflow for (a worker died between
finishing a sync and starting its deliveries) are started the same way. Rows already queued
or running are left alone, and not enqueued again: enqueueing them would change nothing, but
each enqueue is a write to the engine's tables, so a sweep over a backlog of a thousand queued
syncs once cost a third of a worker's time (bench part 5, 1,000 companies).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from spendsync.db.base import utcnow
from spendsync.idempotency.store import purge_expired
from spendsync.jobs.engine import (
    PULL_QUEUE,
    SYNC_QUEUE,
    delivery_workflow_id,
    own_executor_id,
    worker_context,
)
from spendsync.jobs.models import WorkerHeartbeat
from spendsync.reference.models import PullOperation
from spendsync.syncs.models import Sync
from spendsync.webhooks.models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger("spendsync.jobs")

SWEEP_SCHEDULE = "*/10 * * * * *"  # every 10 seconds
STALE_AFTER = timedelta(seconds=30)
MAX_PER_SWEEP = 1000


def unfinished(
    factory: sessionmaker[Session], older_than: timedelta = STALE_AFTER
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(sync id, company id) and (pull id, company id) of accepted work not yet finished."""
    cutoff = utcnow() - older_than
    with factory() as session:
        syncs = session.execute(
            select(Sync.id, Sync.company_id)
            .where(Sync.completed.is_(None), Sync.created < cutoff)
            .order_by(Sync.created)
            .limit(MAX_PER_SWEEP)
        ).all()
        pulls = session.execute(
            select(PullOperation.id, PullOperation.company_id)
            .where(PullOperation.completed.is_(None), PullOperation.requested < cutoff)
            .order_by(PullOperation.requested)
            .limit(MAX_PER_SWEEP)
        ).all()
    return [(r[0], r[1]) for r in syncs], [(r[0], r[1]) for r in pulls]


def _known_to_engine(workflow_ids: list[str]) -> set[str]:
    if not workflow_ids:
        return set()
    return {
        status.workflow_id
        for status in DBOS.list_workflows(
            workflow_ids=workflow_ids, load_input=False, load_output=False
        )
    }


def unknown_to_engine(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows (id, company id) whose workflow (id = row id) the job engine does not have."""
    known = _known_to_engine([row_id for row_id, _ in rows])
    return [row for row in rows if row[0] not in known]


def undelivered(factory: sessionmaker[Session], older_than: timedelta = STALE_AFTER) -> list[str]:
    """Pending webhook deliveries older than `older_than`, oldest first."""
    cutoff = utcnow() - older_than
    with factory() as session:
        return list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.created < cutoff,
                )
                .order_by(WebhookDelivery.created)
                .limit(MAX_PER_SWEEP)
            )
        )


@DBOS.step(name="spendsync.find_undelivered")
def find_undelivered_step(stale_after_seconds: float) -> list[str]:
    """Pending deliveries older than `stale_after_seconds` whose workflow never started (a
    worker died between finishing a sync and starting its webhooks)."""
    found = undelivered(worker_context().session_factory, timedelta(seconds=stale_after_seconds))
    known = _known_to_engine([delivery_workflow_id(d) for d in found])
    return [d for d in found if delivery_workflow_id(d) not in known]


@DBOS.step(name="spendsync.find_unfinished")
def find_unfinished_step(
    stale_after_seconds: float,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Unfinished syncs and pulls older than `stale_after_seconds` that never reached the job
    engine."""
    syncs, pulls = unfinished(
        worker_context().session_factory, timedelta(seconds=stale_after_seconds)
    )
    return unknown_to_engine(syncs), unknown_to_engine(pulls)


def dead_workers(factory: sessionmaker[Session], dead_after: timedelta) -> list[str]:
    cutoff = utcnow() - dead_after
    with factory() as session:
        return list(
            session.scalars(
                select(WorkerHeartbeat.executor_id).where(WorkerHeartbeat.last_seen < cutoff)
            )
        )


@DBOS.step(name="spendsync.recover_dead_workers")
def recover_dead_workers_step() -> list[str]:
    """Hand the unfinished workflows of silent workers back to the queues (idempotent: once a
    live worker has dequeued one, it is no longer the dead worker's)."""
    context = worker_context()
    dead_after = timedelta(seconds=context.settings.worker_dead_after_seconds)
    dead = [e for e in dead_workers(context.session_factory, dead_after) if e != own_executor_id()]
    if not dead:
        return []
    # What DBOS's own admin endpoint (POST /dbos-workflow-recovery) runs for an orchestrator
    # that declares executors dead; spendsync's heartbeats play the orchestrator.
    handles = DBOS._recover_pending_workflows(dead)
    logger.warning(
        "workers %s stopped answering; %d of their workflows resume elsewhere", dead, len(handles)
    )
    with context.session_factory() as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.executor_id.in_(dead)))
        session.commit()
    return dead


@DBOS.step(name="spendsync.purge_idempotency_keys")
def purge_idempotency_step() -> int:
    context = worker_context()
    ttl = timedelta(seconds=context.settings.idempotency_ttl_seconds)
    return purge_expired(context.session_factory, ttl)


@DBOS.workflow(name="spendsync.sweep")
def sweep_workflow(_scheduled: datetime, context: Any) -> None:
    from spendsync.reference.tasks import run_pull_workflow
    from spendsync.syncs.tasks import run_sync_workflow
    from spendsync.webhooks.tasks import enqueue_delivery

    recover_dead_workers_step()  # a killed worker's syncs resume on this one or another
    purge_idempotency_step()  # keys past their retention are forgotten
    stale_after = (context or {}).get("stale_after_seconds", STALE_AFTER.total_seconds())
    syncs, pulls = find_unfinished_step(float(stale_after))
    sync_queue = DBOS.retrieve_queue(SYNC_QUEUE)
    pull_queue = DBOS.retrieve_queue(PULL_QUEUE)
    assert sync_queue is not None
    assert pull_queue is not None
    for sync_id, company_id in syncs:
        with SetWorkflowID(sync_id), SetEnqueueOptions(queue_partition_key=company_id):
            sync_queue.enqueue(run_sync_workflow, sync_id)
    for pull_id, company_id in pulls:
        with SetWorkflowID(pull_id), SetEnqueueOptions(queue_partition_key=company_id):
            pull_queue.enqueue(run_pull_workflow, pull_id)
    for delivery_id in find_undelivered_step(float(stale_after)):
        enqueue_delivery(delivery_id)


def install_sweep() -> None:
    DBOS.apply_schedules(
        [
            {
                "schedule_name": "spendsync-sweep",
                "workflow_fn": sweep_workflow,
                "schedule": SWEEP_SCHEDULE,
            }
        ]
    )
