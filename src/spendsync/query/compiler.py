"""Turn a parsed query into a SQLAlchemy condition.

Properties resolve case-insensitively against a field table; each field's kind decides how the
value is read (dates as dates, booleans as booleans) and which operators make sense. String
equality is case-insensitive, as in Codat.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, func, or_, true

from spendsync.query.parser import And, Comparison, Expr, Op, Or, QuerySyntaxError

Resolver = Callable[[Comparison], ColumnElement[bool]]


class UnknownQueryProperty(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Could not resolve property {name}")
        self.name = name


class InvalidQueryValue(ValueError):
    """A well-formed comparison whose value or operator does not fit the property."""


class FieldKind(enum.Enum):
    STRING = "string"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    NUMBER = "number"
    UUID = "uuid"


@dataclass(frozen=True)
class QueryField:
    column: SQLColumnExpression[Any]
    kind: FieldKind


def compile_query(expr: Expr, resolve: Resolver) -> ColumnElement[bool]:
    if isinstance(expr, And):
        return and_(compile_query(expr.left, resolve), compile_query(expr.right, resolve))
    if isinstance(expr, Or):
        return or_(compile_query(expr.left, resolve), compile_query(expr.right, resolve))
    return resolve(expr)


def _lookup(fields: Mapping[str, QueryField], name: str) -> QueryField:
    folded = {key.lower(): field for key, field in fields.items()}
    field = folded.get(name.lower())
    if field is None:
        raise UnknownQueryProperty(name)
    return field


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ordered(column: SQLColumnExpression[Any], op: Op, value: Any) -> ColumnElement[bool]:
    compared: ColumnElement[bool]
    if op is Op.GT:
        compared = column > value
    elif op is Op.LT:
        compared = column < value
    elif op is Op.GE:
        compared = column >= value
    else:
        compared = column <= value
    return compared


def _string(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    value = comparison.value
    lowered = func.lower(column)
    if comparison.op is Op.EQ:
        return lowered == value.lower()
    if comparison.op is Op.NE:
        return or_(column.is_(None), lowered != value.lower())
    if comparison.op is Op.CONTAINS:
        return lowered.like(f"%{escape_like(value.lower())}%", escape="\\")
    return _ordered(column, comparison.op, value)


def _parse_datetime(comparison: Comparison) -> tuple[datetime, bool]:
    """The instant, and whether the value was a whole day (a date without a time)."""
    text = comparison.value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.min, tzinfo=UTC), True
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidQueryValue(
            f"Could not convert '{text}' to a date for property {comparison.property}"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), False


def _datetime(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    instant, whole_day = _parse_datetime(comparison)
    op = comparison.op
    if op is Op.CONTAINS:
        raise InvalidQueryValue(f"The ~ operator does not apply to the date {comparison.property}")
    if whole_day:
        next_day = instant + timedelta(days=1)
        if op is Op.EQ:
            return and_(column >= instant, column < next_day)
        if op is Op.NE:
            return or_(column.is_(None), column < instant, column >= next_day)
        if op is Op.GT:
            return column >= next_day
        if op is Op.LE:
            return column < next_day
        return _ordered(column, op, instant)
    if op is Op.EQ:
        return column == instant
    if op is Op.NE:
        return or_(column.is_(None), column != instant)
    return _ordered(column, op, instant)


def _boolean(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    text = comparison.value.strip().lower()
    if text not in ("true", "false") or comparison.op not in (Op.EQ, Op.NE):
        raise InvalidQueryValue(
            f"Property {comparison.property} takes =true, =false, !=true or !=false"
        )
    value = true() if text == "true" else false()
    other = false() if text == "true" else true()
    if comparison.op is Op.EQ:
        return column.is_(value)
    return or_(column.is_(None), column.is_(other))


def _number(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    try:
        value = Decimal(comparison.value.strip())
    except InvalidOperation as exc:
        raise InvalidQueryValue(
            f"Could not convert '{comparison.value}' to a number for property {comparison.property}"
        ) from exc
    if not value.is_finite() or comparison.op is Op.CONTAINS:
        raise InvalidQueryValue(f"Invalid comparison for property {comparison.property}")
    if comparison.op is Op.EQ:
        return column == value
    if comparison.op is Op.NE:
        return or_(column.is_(None), column != value)
    return _ordered(column, comparison.op, value)


def _uuid(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    try:
        value = str(uuid.UUID(comparison.value.strip()))
    except ValueError as exc:
        raise InvalidQueryValue(
            f"Could not convert '{comparison.value}' to an id for property {comparison.property}"
        ) from exc
    if comparison.op is Op.EQ:
        return column == value
    if comparison.op is Op.NE:
        return or_(column.is_(None), column != value)
    raise InvalidQueryValue(f"Property {comparison.property} takes only = and !=")


_BY_KIND: dict[FieldKind, Callable[[Comparison, SQLColumnExpression[Any]], ColumnElement[bool]]] = {
    FieldKind.STRING: _string,
    FieldKind.DATETIME: _datetime,
    FieldKind.BOOLEAN: _boolean,
    FieldKind.NUMBER: _number,
    FieldKind.UUID: _uuid,
}


def column_resolver(fields: Mapping[str, QueryField]) -> Resolver:
    def resolve(comparison: Comparison) -> ColumnElement[bool]:
        field = _lookup(fields, comparison.property)
        return _BY_KIND[field.kind](comparison, field.column)

    return resolve


def parse_order_by(text: str, fields: Mapping[str, QueryField]) -> list[ColumnElement[Any]]:
    """`-modifiedDate,name`: comma-separated properties; a leading '-' sorts descending."""
    terms: list[ColumnElement[Any]] = []
    for raw in text.split(","):
        term = raw.strip()
        descending = term.startswith("-")
        name = term[1:].strip() if descending else term
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise QuerySyntaxError(f"malformed orderBy term {raw!r}")
        column = _lookup(fields, name).column
        terms.append(column.desc() if descending else column.asc())
    return terms
