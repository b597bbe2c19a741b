"""DBOS wrapper for pull operations (see runner.py for the work itself)."""

from __future__ import annotations

import logging

from dbos import DBOS
from dbos._error import DBOSMaxStepRetriesExceeded

from spendsync.connectors.errors import Transient
from spendsync.db.errors import database_unavailable
from spendsync.jobs.engine import PULL_WORKFLOW, database_step, worker_context
from spendsync.reference import runner

logger = logging.getLogger("spendsync.reference")


@DBOS.step(
    name="spendsync.read_reference_data",
    retries_allowed=True,
    max_attempts=6,
    interval_seconds=1.0,
    backoff_rate=2.0,
    should_retry=lambda exc: isinstance(exc, Transient) or database_unavailable(exc),
)
def run_pull_step(pull_id: str) -> None:
    runner.run_pull(worker_context(), pull_id)


@database_step("spendsync.fail_pull")
def fail_pull_step(pull_id: str, message: str) -> None:
    runner.fail_pull(worker_context(), pull_id, message)


@DBOS.workflow(name=PULL_WORKFLOW)
def run_pull_workflow(pull_id: str) -> None:
    try:
        run_pull_step(pull_id)
    except DBOSMaxStepRetriesExceeded as exc:
        last = exc.errors[-1] if exc.errors else exc
        fail_pull_step(pull_id, f"The platform stayed unavailable: {last}")
    except Exception as exc:
        logger.exception("pull %s: unexpected error", pull_id)
        fail_pull_step(pull_id, f"Internal error while reading: {type(exc).__name__}")
