"""DBOS wrapper for pull operations (see runner.py for the work itself)."""

from __future__ import annotations

from dbos import DBOS

from spendsync.connectors.errors import Transient
from spendsync.jobs.engine import PULL_WORKFLOW, worker_context
from spendsync.reference import runner


@DBOS.step(
    name="spendsync.read_reference_data",
    retries_allowed=True,
    max_attempts=6,
    interval_seconds=1.0,
    backoff_rate=2.0,
    should_retry=lambda exc: isinstance(exc, Transient),
)
def run_pull_step(pull_id: str) -> None:
    runner.run_pull(worker_context(), pull_id)


@DBOS.workflow(name=PULL_WORKFLOW)
def run_pull_workflow(pull_id: str) -> None:
    run_pull_step(pull_id)
