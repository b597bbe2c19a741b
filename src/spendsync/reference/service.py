"""Requesting reads of the ledger, and what the cache holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connections.service import accounting_connection, get_connection
from spendsync.connectors.reference import LedgerContact, LedgerRecord, ReferenceDataType
from spendsync.db.engine import run_after_commit
from spendsync.errors import BadRequest, Conflict, NotFound, ValidationItem
from spendsync.query import FieldKind, QueryField
from spendsync.reference import codec, repository
from spendsync.reference.models import PullOperation, PullStatus, ReferenceRecord

EnqueuePull = Callable[[str, str], None]

PULL_FIELDS: Mapping[str, QueryField] = {
    "id": QueryField(PullOperation.id, FieldKind.UUID),
    "dataType": QueryField(PullOperation.data_type, FieldKind.STRING),
    "status": QueryField(PullOperation.status, FieldKind.STRING),
    "requested": QueryField(PullOperation.requested, FieldKind.DATETIME),
    "completed": QueryField(PullOperation.completed, FieldKind.DATETIME),
    "connectionId": QueryField(PullOperation.connection_id, FieldKind.UUID),
}


def parse_data_type(value: str) -> ReferenceDataType:
    try:
        return ReferenceDataType(value)
    except ValueError:
        known = ", ".join(t.value for t in ReferenceDataType)
        raise BadRequest(
            f"Data type '{value}' is not read by spendsync.",
            errors=[ValidationItem("DataType", f"Expected one of: {known}.", "DataType")],
        ) from None


def request_pulls(
    session: Session,
    client_id: str,
    company_id: str,
    data_types: Sequence[ReferenceDataType],
    enqueue: EnqueuePull,
    *,
    connection_id: str | None = None,
) -> list[PullOperation]:
    connection = (
        get_connection(session, client_id, company_id, connection_id)
        if connection_id
        else accounting_connection(session, client_id, company_id)
    )
    if connection_id and connection.status is not ConnectionStatus.LINKED:
        raise Conflict(f"Data connection {connection_id} is {connection.status.value}.")
    operations = [
        PullOperation(
            client_id=client_id,
            company_id=company_id,
            connection_id=connection.id,
            data_type=data_type.value,
            status=PullStatus.QUEUED,
        )
        for data_type in data_types
    ]
    session.add_all(operations)
    session.flush()
    ids = [op.id for op in operations]

    def enqueue_all() -> None:
        for pull_id in ids:
            enqueue(pull_id, company_id)

    run_after_commit(session, enqueue_all)
    return operations


def get_pull(session: Session, client_id: str, company_id: str, pull_id: str) -> PullOperation:
    pull = repository.get_pull(session, client_id, company_id, pull_id)
    if pull is None:
        raise NotFound(f"No pull operation was found with ID {pull_id}")
    return pull


def list_pulls(
    session: Session, client_id: str, company_id: str, params: PageParams
) -> tuple[list[PullOperation], int]:
    where, order_by = list_filters(params, PULL_FIELDS, "PullOperation")
    query = repository.pulls(client_id, company_id).where(*where)
    total = repository.count(session, query)
    rows = session.scalars(
        query.order_by(*order_by, PullOperation.requested.desc(), PullOperation.id)
        .offset(params.offset)
        .limit(params.page_size)
    ).all()
    return list(rows), total


def data_status(
    session: Session, client_id: str, company_id: str
) -> list[tuple[str, PullOperation, PullOperation | None]]:
    """Per data type ever requested: the latest pull and the latest successful one."""
    result = []
    for data_type in sorted(repository.data_types_pulled(session, client_id, company_id)):
        latest = repository.latest_pull(session, client_id, company_id, data_type, successful=False)
        assert latest is not None
        success = repository.latest_pull(session, client_id, company_id, data_type, successful=True)
        result.append((data_type, latest, success))
    return result


def cached_records(
    session: Session, connection: Connection, data_type: ReferenceDataType
) -> list[LedgerRecord]:
    """The records of the last reads; 409 when this data type was never read."""
    if (
        repository.latest_pull(
            session, connection.client_id, connection.company_id, data_type.value, successful=True
        )
        is None
    ):
        raise Conflict(
            f"The data set {data_type.value} has not been read from the ledger yet. Request it "
            f"with POST /companies/{connection.company_id}/data/queue/{data_type.value}."
        )
    return [
        codec.decode(data_type, row.data)
        for row in repository.records(
            session, connection.company_id, connection.id, data_type.value
        )
    ]


_CONTACT_FIELDS = {
    ReferenceDataType.SUPPLIERS: "supplierName",
    ReferenceDataType.CUSTOMERS: "customerName",
}


def page_contacts(
    session: Session,
    client_id: str,
    company_id: str,
    data_type: ReferenceDataType,
    params: PageParams,
) -> tuple[list[tuple[LedgerContact, datetime]], int]:
    connection = accounting_connection(session, client_id, company_id)
    cached_records(session, connection, data_type)  # 409 until the first read
    fields: Mapping[str, QueryField] = {
        "id": QueryField(ReferenceRecord.platform_id, FieldKind.STRING),
        _CONTACT_FIELDS[data_type]: QueryField(ReferenceRecord.name, FieldKind.STRING),
        "modifiedDate": QueryField(ReferenceRecord.modified, FieldKind.DATETIME),
        "sourceModifiedDate": QueryField(ReferenceRecord.source_modified, FieldKind.DATETIME),
    }
    entity = "Supplier" if data_type is ReferenceDataType.SUPPLIERS else "Customer"
    where, order_by = list_filters(params, fields, entity)
    query = select(ReferenceRecord).where(
        ReferenceRecord.client_id == client_id,
        ReferenceRecord.connection_id == connection.id,
        ReferenceRecord.data_type == data_type.value,
        ReferenceRecord.is_deleted.is_(False),
        *where,
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(*order_by, ReferenceRecord.name, ReferenceRecord.platform_id)
        .offset(params.offset)
        .limit(params.page_size)
    ).all()
    return [(_contact(data_type, row.data), row.modified) for row in rows], total


def get_contact(
    session: Session,
    client_id: str,
    company_id: str,
    data_type: ReferenceDataType,
    platform_id: str,
) -> tuple[LedgerContact, datetime] | None:
    connection = accounting_connection(session, client_id, company_id)
    cached_records(session, connection, data_type)
    row = repository.records_by_platform_id(
        session, connection.id, data_type.value, [platform_id]
    ).get(platform_id)
    if row is None or row.is_deleted:
        return None
    return _contact(data_type, row.data), row.modified


def _contact(data_type: ReferenceDataType, data: dict[str, Any]) -> LedgerContact:
    record = codec.decode(data_type, data)
    assert isinstance(record, LedgerContact)
    return record
