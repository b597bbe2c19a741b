"""Listing integrations with Codat's query language: the declared platforms become a table in
SQL, so `query` and `orderBy` behave exactly as on stored data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Boolean, String, Subquery, func, literal, select, union_all
from sqlalchemy.orm import Session

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.connectors.registry import PLATFORMS, Platform, PlatformKey, has_connector
from spendsync.query import FieldKind, QueryField


def _platform_table() -> Subquery:
    """The declared platforms as a SELECT of literals (portable: SQLite has no VALUES alias)."""
    rows = [
        select(
            literal(p.key.value, String).label("key"),
            literal(p.name, String).label("name"),
            literal(p.source_type.value, String).label("source_type"),
            literal(p.is_offline, Boolean).label("is_offline"),
            literal(has_connector(p.key), Boolean).label("connector_available"),
        )
        for p in PLATFORMS.values()
    ]
    return union_all(*rows).subquery("integrations")


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
