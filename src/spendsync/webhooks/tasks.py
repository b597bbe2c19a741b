"""Webhook delivery as a durable workflow: attempt, then durable sleeps between attempts
(`SPENDSYNC_WEBHOOK_RETRY_SCHEDULE_SECONDS`), so retries survive restarts of every worker."""

from __future__ import annotations

from dbos import DBOS, SetWorkflowID

from spendsync.jobs.engine import (
    WEBHOOK_QUEUE,
    WEBHOOK_WORKFLOW,
    delivery_workflow_id,
    worker_context,
)
from spendsync.secretbox import secret_box
from spendsync.webhooks import service


@DBOS.step(name="spendsync.attempt_webhook")
def attempt_delivery_step(delivery_id: str) -> bool:
    """True when there is nothing more to do (delivered, or the endpoint is gone)."""
    context = worker_context()
    with context.session_factory() as session:
        result = service.attempt_delivery(
            session,
            secret_box(context.settings),
            delivery_id,
            timeout=context.settings.webhook_timeout_seconds,
        )
    return result.delivered or result.give_up


@DBOS.step(name="spendsync.give_up_webhook")
def give_up_step(delivery_id: str) -> None:
    with worker_context().session_factory() as session:
        service.give_up(session, delivery_id)


@DBOS.workflow(name=WEBHOOK_WORKFLOW)
def deliver_webhook_workflow(delivery_id: str, schedule: list[float]) -> None:
    if attempt_delivery_step(delivery_id):
        return
    for wait in schedule:
        DBOS.sleep(wait)
        if attempt_delivery_step(delivery_id):
            return
    give_up_step(delivery_id)


def enqueue_delivery(delivery_id: str) -> None:
    """From inside a workflow: start the delivery as its own workflow on the webhook queue."""
    queue = DBOS.retrieve_queue(WEBHOOK_QUEUE)
    assert queue is not None
    with SetWorkflowID(delivery_workflow_id(delivery_id)):
        queue.enqueue(
            deliver_webhook_workflow,
            delivery_id,
            list(worker_context().settings.webhook_retry_schedule_seconds),
        )
