"""Thin DBOS wrappers around the sync runner's plain functions (which tests call directly).

The workflow is checkpointed step by step: a worker that dies mid-sync leaves the workflow
PENDING, and whichever process recovers it resumes after the last completed step. A push step
that ran but was not checkpointed runs again; the platform's idempotency key (derived from our
stable ids) and the runner's own per-transaction state make that repeat harmless.
"""

from __future__ import annotations

import logging

from dbos import DBOS
from dbos._error import DBOSMaxStepRetriesExceeded

from spendsync.connectors.errors import Transient
from spendsync.db.errors import database_unavailable
from spendsync.jobs.engine import SYNC_WORKFLOW, database_step, worker_context
from spendsync.syncs import runner
from spendsync.webhooks.tasks import enqueue_delivery

logger = logging.getLogger("spendsync.syncs")


def _is_transient(exc: BaseException) -> bool:
    """The platform or our own database is away for now: the step is tried again later."""
    return isinstance(exc, Transient) or database_unavailable(exc)


@database_step("spendsync.start_sync")
def start_sync_step(sync_id: str) -> list[list[str]]:
    return runner.start_sync(worker_context(), sync_id)


@DBOS.step(
    name="spendsync.push_batch",
    retries_allowed=True,
    max_attempts=8,
    interval_seconds=1.0,
    backoff_rate=2.0,
    should_retry=_is_transient,
)
def push_batch_step(sync_id: str, row_ids: list[str]) -> None:
    runner.push_batch(worker_context(), sync_id, row_ids)


@database_step("spendsync.finish_sync")
def finish_sync_step(sync_id: str) -> list[str]:
    return runner.finish_sync(worker_context().session_factory, sync_id)


@DBOS.workflow(name=SYNC_WORKFLOW)
def run_sync_workflow(sync_id: str) -> None:
    for batch in start_sync_step(sync_id):
        try:
            push_batch_step(sync_id, batch)
        except DBOSMaxStepRetriesExceeded as exc:
            # The platform stayed unavailable through every retry: the batch's transactions fail
            # with its last message (they may be sent again); the rest of the sync goes on.
            last = exc.errors[-1] if exc.errors else exc
            fail_batch_step(sync_id, batch, f"The platform did not accept the push: {last}")
        except Exception as exc:
            # A defect, not a platform answer: fail the batch loudly rather than leave it hanging.
            logger.exception("sync %s: unexpected error pushing a batch", sync_id)
            fail_batch_step(sync_id, batch, f"Internal error while pushing: {type(exc).__name__}")
    for delivery_id in finish_sync_step(sync_id):
        enqueue_delivery(delivery_id)


@database_step("spendsync.fail_batch")
def fail_batch_step(sync_id: str, row_ids: list[str], message: str) -> None:
    runner.fail_batch(worker_context().session_factory, sync_id, row_ids, message)
