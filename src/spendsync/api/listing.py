"""Turn a list request's `query` and `orderBy` into SQL, with Codat's 400 messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement

from spendsync.api.paging import PageParams
from spendsync.errors import BadRequest
from spendsync.query import (
    Comparison,
    InvalidQueryValue,
    QueryField,
    QuerySyntaxError,
    UnknownQueryProperty,
    column_resolver,
    compile_query,
    parse_order_by,
    parse_query,
)


def compile_filter(
    text: str, resolve: Callable[[Comparison], ColumnElement[bool]], entity: str
) -> ColumnElement[bool]:
    try:
        return compile_query(parse_query(text), resolve)
    except QuerySyntaxError as exc:
        raise BadRequest("Error parsing query - Malformed query.") from exc
    except UnknownQueryProperty as exc:
        raise BadRequest(
            f"Error parsing query - Could not resolve property {exc.name} on {entity}"
        ) from exc
    except InvalidQueryValue as exc:
        raise BadRequest(f"Error parsing query - {exc}") from exc


def compile_order_by(
    text: str | None, fields: Mapping[str, QueryField], entity: str
) -> list[ColumnElement[Any]]:
    if not text:
        return []
    try:
        return parse_order_by(text, fields)
    except QuerySyntaxError as exc:
        raise BadRequest("Error parsing orderBy - Malformed orderBy.") from exc
    except UnknownQueryProperty as exc:
        raise BadRequest(
            f"Error parsing orderBy - Could not resolve property {exc.name} on {entity}"
        ) from exc


def list_filters(
    params: PageParams, fields: Mapping[str, QueryField], entity: str
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    where = [compile_filter(params.query, column_resolver(fields), entity)] if params.query else []
    return where, compile_order_by(params.order_by, fields, entity)
