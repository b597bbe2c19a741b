"""All SQL for connections. Every query filters by the owning client and company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from spendsync.connections.models import Connection, SourceType


def _owned(client_id: str, company_id: str) -> Select[Connection]:
    return select(Connection).where(
        Connection.client_id == client_id, Connection.company_id == company_id
    )


def get(session: Session, client_id: str, company_id: str, connection_id: str) -> Connection | None:
    return session.scalar(_owned(client_id, company_id).where(Connection.id == connection_id))


def first_of_type(
    session: Session, client_id: str, company_id: str, source_type: SourceType
) -> Connection | None:
    return session.scalar(
        _owned(client_id, company_id)
        .where(Connection.source_type == source_type)
        .order_by(Connection.created, Connection.id)
        .limit(1)
    )


def page(
    session: Session,
    client_id: str,
    company_id: str,
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    offset: int,
    limit: int,
) -> tuple[list[Connection], int]:
    filtered = _owned(client_id, company_id).where(*where)
    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    rows = session.scalars(
        filtered.order_by(*order_by, Connection.created, Connection.id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def add(session: Session, connection: Connection) -> None:
    session.add(connection)
    session.flush()


def delete(session: Session, connection: Connection) -> None:
    session.delete(connection)
    session.flush()
