"""All SQL for pull operations and cached reference records (scoped by client and company)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from spendsync.connections.models import Connection
from spendsync.connectors.reference import LedgerRecord, ReferenceDataType
from spendsync.reference import codec
from spendsync.reference.models import PullOperation, PullStatus, ReferenceRecord


def records(
    session: Session,
    company_id: str,
    connection_id: str,
    data_type: str,
    *,
    include_deleted: bool = False,
) -> Sequence[ReferenceRecord]:
    query = select(ReferenceRecord).where(
        ReferenceRecord.company_id == company_id,
        ReferenceRecord.connection_id == connection_id,
        ReferenceRecord.data_type == data_type,
    )
    if not include_deleted:
        query = query.where(ReferenceRecord.is_deleted.is_(False))
    return session.scalars(query.order_by(ReferenceRecord.name, ReferenceRecord.platform_id)).all()


def records_by_platform_id(
    session: Session, connection_id: str, data_type: str, platform_ids: Sequence[str]
) -> dict[str, ReferenceRecord]:
    rows = session.scalars(
        select(ReferenceRecord).where(
            ReferenceRecord.connection_id == connection_id,
            ReferenceRecord.data_type == data_type,
            ReferenceRecord.platform_id.in_(platform_ids),
        )
    ).all()
    return {row.platform_id: row for row in rows}


def pulls(client_id: str, company_id: str) -> Select[PullOperation]:
    return select(PullOperation).where(
        PullOperation.client_id == client_id, PullOperation.company_id == company_id
    )


def get_pull(
    session: Session, client_id: str, company_id: str, pull_id: str
) -> PullOperation | None:
    return session.scalar(pulls(client_id, company_id).where(PullOperation.id == pull_id))


def latest_pull(
    session: Session, client_id: str, company_id: str, data_type: str, *, successful: bool
) -> PullOperation | None:
    query = pulls(client_id, company_id).where(PullOperation.data_type == data_type)
    if successful:
        query = query.where(PullOperation.status == PullStatus.COMPLETE)
    return session.scalar(query.order_by(PullOperation.requested.desc(), PullOperation.id).limit(1))


def data_types_pulled(session: Session, client_id: str, company_id: str) -> list[str]:
    return list(
        session.scalars(
            select(PullOperation.data_type)
            .where(PullOperation.client_id == client_id, PullOperation.company_id == company_id)
            .distinct()
        )
    )


def count(session: Session, query: Select[PullOperation]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def save_record(
    session: Session,
    connection: Connection,
    data_type: ReferenceDataType,
    record: LedgerRecord,
    existing: ReferenceRecord | None,
    now: datetime,
) -> ReferenceRecord:
    """Store a record as the connector reported it (a new row, or `existing` updated)."""
    row = existing
    if row is None:
        row = ReferenceRecord(
            client_id=connection.client_id,
            company_id=connection.company_id,
            connection_id=connection.id,
            data_type=data_type.value,
            platform_id=record.id,
        )
        session.add(row)
    row.name = record.name[:400]
    row.data = codec.encode(data_type, record)
    row.is_deleted = False
    row.source_modified = record.modified
    row.modified = now
    return row


def reference_changed(session: Session, connection_id: str) -> None:
    """Record that the connection's reference data changed (in this transaction): processes
    that keep it decoded read it again (see expenses.references.load)."""
    session.execute(
        update(Connection)
        .where(Connection.id == connection_id)
        .values(reference_version=Connection.reference_version + 1)
        .execution_options(synchronize_session=False)
    )
