"""Listing integrations with Codat's query language: the declared platforms are a VALUES
table in SQL, so `query` and `orderBy` behave exactly as on stored data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Boolean, String, column, func, select, values
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Values

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.connectors.registry import PLATFORMS, Platform, PlatformKey, has_connector
from spendsync.query import FieldKind, QueryField

_TABLE = values(
    column("key", String),
    column("name", String),
    column("source_type", String),
    column("is_offline", Boolean),
    column("connector_available", Boolean),
    name="integrations",
)


def _platform_table() -> Values:
    return _TABLE.data(
        [
            (p.key.value, p.name, p.source_type.value, p.is_offline, has_connector(p.key))
            for p in PLATFORMS.values()
        ]
    )


def list_integrations(session: Session, params: PageParams) -> tuple[list[Platform], int]:
    table = _platform_table()
    fields: Mapping[str, QueryField] = {
        "key": QueryField(table.c.key, FieldKind.STRING),
        "platformKey": QueryField(table.c.key, FieldKind.STRING),
        "name": QueryField(table.c.name, FieldKind.STRING),
        "sourceType": QueryField(table.c.source_type, FieldKind.STRING),
        "isOfflineConnector": QueryField(table.c.is_offline, FieldKind.BOOLEAN),
        "connectorAvailable": QueryField(table.c.connector_available, FieldKind.BOOLEAN),
    }
    where, order_by = list_filters(params, fields, "Integration")
    selected = select(table.c.key).where(*where)
    total = session.scalar(select(func.count()).select_from(selected.subquery())) or 0
    keys = session.scalars(
        selected.order_by(*order_by, table.c.name).offset(params.offset).limit(params.page_size)
    ).all()
    return [PLATFORMS[PlatformKey(k)] for k in keys], total
