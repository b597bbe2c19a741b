"""The daily refresh: every linked ledger's reference data is read again once a day (Codat's
"Fetch on first link, Daily"), incrementally where the platform allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID
from sqlalchemy import select

from spendsync.connections.models import Connection, ConnectionStatus, SourceType
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.reference import ReferenceDataType
from spendsync.jobs.engine import PULL_QUEUE, worker_context
from spendsync.reference.models import PullOperation, PullStatus

DAILY_REFRESH_SCHEDULE = "0 0 3 * * *"  # 03:00 UTC every day


def queue_daily_pulls(context: LedgerContext) -> list[tuple[str, str]]:
    """One pull per data type per linked accounting connection; returns (pull, company) ids."""
    with context.session_factory() as session:
        connections = session.scalars(
            select(Connection).where(
                Connection.source_type == SourceType.ACCOUNTING,
                Connection.status == ConnectionStatus.LINKED,
            )
        ).all()
        pulls = [
            PullOperation(
                client_id=connection.client_id,
                company_id=connection.company_id,
                connection_id=connection.id,
                data_type=data_type.value,
                status=PullStatus.QUEUED,
            )
            for connection in connections
            for data_type in ReferenceDataType
        ]
        session.add_all(pulls)
        session.commit()
        return [(pull.id, pull.company_id) for pull in pulls]


@DBOS.step(name="spendsync.queue_daily_pulls")
def queue_daily_pulls_step() -> list[tuple[str, str]]:
    return queue_daily_pulls(worker_context())


@DBOS.workflow(name="spendsync.daily_refresh")
def daily_refresh_workflow(_scheduled: datetime, _context: Any) -> None:
    from spendsync.reference.tasks import run_pull_workflow

    queue = DBOS.retrieve_queue(PULL_QUEUE)
    assert queue is not None
    for pull_id, company_id in queue_daily_pulls_step():
        with SetWorkflowID(pull_id), SetEnqueueOptions(queue_partition_key=company_id):
            queue.enqueue(run_pull_workflow, pull_id)
