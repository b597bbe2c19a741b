"""Writing a supplier or customer to the ledger, synchronously, as one logged push operation.

The platform's refusal is not an HTTP error: like Codat, the push operation says `Failed` with
the platform's message. A platform that is only briefly unavailable is a 503 to retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.companies.service import get_company
from spendsync.connections.models import ConnectionStatus
from spendsync.connections.service import get_connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.errors import NotSupported, RecordValidation
from spendsync.connectors.reference import LedgerContact, ReferenceDataType
from spendsync.connectors.registry import open_ledger
from spendsync.db.base import utcnow
from spendsync.errors import Conflict, NotFound
from spendsync.pushes.models import PushOperation, PushStatus
from spendsync.query import FieldKind, QueryField
from spendsync.reference.repository import records_by_platform_id, save_record
from spendsync.reference.schemas import customer_to_schema, supplier_to_schema

PUSH_FIELDS: Mapping[str, QueryField] = {
    "pushOperationKey": QueryField(PushOperation.id, FieldKind.UUID),
    "dataType": QueryField(PushOperation.data_type, FieldKind.STRING),
    "status": QueryField(PushOperation.status, FieldKind.STRING),
    "requestedOnUtc": QueryField(PushOperation.requested, FieldKind.DATETIME),
    "completedOnUtc": QueryField(PushOperation.completed, FieldKind.DATETIME),
}


def push_contact(
    session: Session,
    context: LedgerContext,
    client_id: str,
    company_id: str,
    connection_id: str,
    data_type: ReferenceDataType,
    contact: LedgerContact,
    existing_id: str | None,
) -> PushOperation:
    connection = get_connection(session, client_id, company_id, connection_id)
    if connection.status is not ConnectionStatus.LINKED:
        raise Conflict(f"Data connection {connection_id} is {connection.status.value}.")
    operation = PushOperation(
        client_id=client_id,
        company_id=company_id,
        connection_id=connection.id,
        data_type=data_type.value,
        status=PushStatus.PENDING,
        status_code=202,
        changes=[],
    )
    session.add(operation)
    try:
        with closing(open_ledger(connection, context)) as ledger:
            saved = ledger.save_contact(data_type, contact, existing_id)
    except (RecordValidation, NotSupported) as exc:
        operation.status = PushStatus.FAILED
        operation.status_code = 400
        operation.error_message = str(exc)
        operation.completed = utcnow()
        session.flush()
        return operation
    schema = (
        supplier_to_schema(saved, utcnow())
        if data_type is ReferenceDataType.SUPPLIERS
        else customer_to_schema(saved, utcnow())
    )
    operation.status = PushStatus.SUCCESS
    operation.status_code = 200
    operation.completed = utcnow()
    operation.changes = [
        {
            "type": "Modified" if existing_id else "Created",
            "recordRef": {"id": saved.id, "dataType": data_type.value},
        }
    ]
    operation.data = schema.model_dump(mode="json", by_alias=True)
    # Keep the cache in step at once, so the new contact is usable before the next read.
    existing = records_by_platform_id(session, connection.id, data_type.value, [saved.id])
    save_record(session, connection, data_type, saved, existing.get(saved.id), utcnow())
    session.flush()
    return operation


def list_pushes(
    session: Session, client_id: str, company_id: str, params: PageParams
) -> tuple[list[PushOperation], int]:
    get_company(session, client_id, company_id)
    where, order_by = list_filters(params, PUSH_FIELDS, "PushOperation")
    query = select(PushOperation).where(
        PushOperation.client_id == client_id, PushOperation.company_id == company_id, *where
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(*order_by, PushOperation.requested.desc(), PushOperation.id)
        .offset(params.offset)
        .limit(params.page_size)
    ).all()
    return list(rows), total


def get_push(session: Session, client_id: str, company_id: str, key: str) -> PushOperation:
    get_company(session, client_id, company_id)
    row = session.scalar(
        select(PushOperation).where(
            PushOperation.client_id == client_id,
            PushOperation.company_id == company_id,
            PushOperation.id == key,
        )
    )
    if row is None:
        raise NotFound(f"No push operation was found with key {key}")
    return row
