"""Thin DBOS wrappers around the sync runner's plain functions (which tests call directly).

A sync's workflow is its company's writer while it runs (the queue runs one workflow per
company at a time): round after round it claims the company's queued syncs, writes them, and
finishes each: as soon as its last item is recorded (its webhooks start then, through the
worker's job-engine client, since a step cannot enqueue), or at the round's end. The workflow
is checkpointed step by step: a worker that dies mid-round leaves the workflow PENDING, and
whichever process recovers it resumes after the last completed step. A claim that ran but was
not checkpointed takes the same syncs again (they are marked with this runner); a push step
that ran but was not checkpointed sends only what is still pending, what went out before in
the very request it went out in, so that the platform's idempotency key (derived from our
stable ids) makes a repeated write a replay.
"""

from __future__ import annotations

import logging

from dbos import DBOS

from spendsync.jobs.engine import (
    SYNC_WORKFLOW,
    database_step,
    start_deliveries,
    worker_context,
    worker_stopping,
    writing_round,
)
from spendsync.syncs import runner
from spendsync.webhooks.tasks import enqueue_delivery

logger = logging.getLogger("spendsync.syncs")

MAX_ROUNDS = 50


@database_step("spendsync.claim_syncs")
def claim_syncs_step(sync_id: str) -> list[str]:
    return runner.claim_syncs(worker_context(), sync_id)


@database_step("spendsync.push_claimed")
def push_claimed_step(sync_id: str, claimed: list[str]) -> list[str]:
    return runner.push_claimed(worker_context(), sync_id, claimed, start_deliveries)


@database_step("spendsync.fail_pending")
def fail_pending_step(claimed: list[str], message: str) -> None:
    runner.fail_pending(worker_context().session_factory, claimed, message)


@database_step("spendsync.finish_syncs")
def finish_syncs_step(claimed: list[str]) -> list[str]:
    return runner.finish_syncs(worker_context().session_factory, claimed)


@DBOS.workflow(name=SYNC_WORKFLOW)
def run_sync_workflow(sync_id: str) -> None:
    """Rounds of the company's queued syncs, this one first, until none is left (or
    MAX_ROUNDS, so that one workflow's history stays short; the next queued one goes on)."""
    for round_number in range(MAX_ROUNDS):
        # A stopping worker ends the writer between rounds: the syncs still queued have
        # workflows of their own, which another worker runs. (Never before the first round:
        # this sync's own workflow must not end with the sync unwritten.)
        if round_number and worker_stopping():
            return
        with writing_round():
            claimed = claim_syncs_step(sync_id)
            if not claimed:
                return
            try:
                # The claimed syncs and those the round took in while writing. (None from a
                # push step checkpointed by a release whose step returned nothing.)
                written = push_claimed_step(sync_id, claimed) or claimed
            except Exception as exc:
                # Our own database stayed away through every retry, or a defect: the round's
                # unwritten items fail (they may be sent again) rather than leave the syncs
                # hanging. Syncs it took in are still this runner's: the next claim takes them.
                logger.exception("sync %s: unexpected error pushing a round", sync_id)
                fail_pending_step(claimed, f"Internal error while pushing: {type(exc).__name__}")
                written = claimed
            for delivery_id in finish_syncs_step(written):
                enqueue_delivery(delivery_id)
