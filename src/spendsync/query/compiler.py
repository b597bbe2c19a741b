"""Turn a parsed query into a SQLAlchemy condition, and read `orderBy`.

Properties resolve case-insensitively against a table of fields; each field's kind decides how a
value is read and which operators apply:

* STRING: `=` and `!=` compare case-insensitively (as Codat does), `~` is a case-insensitive
  substring match in which `%` and `_` are literal; `>`, `<`, `>=`, `<=` compare as the database
  orders strings.
* DATETIME: ISO 8601 dates or datetimes; a datetime without an offset is UTC. A bare date stands
  for the whole UTC day, so `created=2024-01-01` matches any instant of that day, `>2024-01-01`
  starts the next day and `<=2024-01-01` runs to its end. No `~`.
* BOOLEAN: `true`/`false` in any case, with `=` and `!=` only.
* NUMBER: decimal numbers (read as Decimal), every operator but `~`.
* UUID: a valid UUID, with `=` and `!=` only.

`!=` also selects rows where the column is NULL, as "not equal to x" reads. Only SQLAlchemy Core
constructs are produced, so conditions run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    String,
    Uuid,
    and_,
    false,
    func,
    literal,
    or_,
    true,
)

from spendsync.query.parser import (
    MAX_QUERY_LENGTH,
    PROPERTY_PATTERN,
    And,
    Comparison,
    Expr,
    Op,
    Or,
    QuerySyntaxError,
)

Resolver = Callable[[Comparison], ColumnElement[bool]]

LIKE_ESCAPE = "/"
# Magnitudes beyond this are not numbers anyone filters on, and some would overflow a database.
_MAX_NUMBER_EXPONENT = 100
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_ORDERED_OPS = (Op.GT, Op.LT, Op.GE, Op.LE)


class UnknownQueryProperty(ValueError):
    """The query or orderBy names a property the entity does not have."""

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
    """A queryable property: the column (or ORM attribute) it reads, and how to read values."""

    column: SQLColumnExpression[Any]
    kind: FieldKind


def compile_query(expr: Expr, resolve: Resolver) -> ColumnElement[bool]:
    """Compile `expr` to one condition, turning each comparison into SQL with `resolve`."""
    if isinstance(expr, Comparison):
        return resolve(expr)
    node = type(expr)
    operands: list[Expr] = []
    pending: list[Expr] = [expr]
    # Flatten runs of the same connective into one n-ary AND/OR, keeping their order.
    while pending:
        item = pending.pop()
        if isinstance(item, And | Or) and type(item) is node:
            pending.extend((item.right, item.left))
        else:
            operands.append(item)
    clauses = [compile_query(operand, resolve) for operand in operands]
    return and_(*clauses) if node is And else or_(*clauses)


def escape_like(value: str, escape: str = LIKE_ESCAPE) -> str:
    """Make `value` match itself literally in a LIKE pattern that uses `escape`."""
    for special in (escape, "%", "_"):
        value = value.replace(special, escape + special)
    return value


def _fold(fields: Mapping[str, QueryField]) -> dict[str, QueryField]:
    return {name.lower(): field for name, field in fields.items()}


def _lookup(folded: Mapping[str, QueryField], name: str) -> QueryField:
    field = folded.get(name.lower())
    if field is None:
        raise UnknownQueryProperty(name)
    return field


def _not_applicable(comparison: Comparison, kind: str) -> InvalidQueryValue:
    return InvalidQueryValue(
        f"The {comparison.op.value} operator cannot be used on {kind} property "
        f"{comparison.property}"
    )


def _conversion_error(comparison: Comparison, kind: str) -> InvalidQueryValue:
    return InvalidQueryValue(
        f"Could not convert '{comparison.value}' to {kind} for property {comparison.property}"
    )


def _compare(column: SQLColumnExpression[Any], op: Op, value: Any) -> ColumnElement[bool]:
    """`column op value` for =, >, <, >= and <=; != also selects NULL columns."""
    compared: ColumnElement[bool]
    if op is Op.EQ:
        compared = column == value
    elif op is Op.NE:
        compared = or_(column.is_(None), column != value)
    elif op is Op.GT:
        compared = column > value
    elif op is Op.LT:
        compared = column < value
    elif op is Op.GE:
        compared = column >= value
    elif op is Op.LE:
        compared = column <= value
    else:  # pragma: no cover - `~` is handled by each kind before it gets here
        raise AssertionError(f"no SQL comparison for {op}")
    return compared


def _string(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    op, value = comparison.op, comparison.value
    if op is Op.CONTAINS:
        pattern = literal(f"%{escape_like(value)}%", String())
        return func.lower(column).like(func.lower(pattern), escape=LIKE_ESCAPE)
    if op in (Op.EQ, Op.NE):
        return _compare(func.lower(column), op, func.lower(literal(value, String())))
    return _compare(column, op, value)


def _parse_instant(comparison: Comparison) -> tuple[datetime, datetime | None, bool]:
    """The instant a value names, the start of the following day (None past the calendar's end)
    and whether the value was a bare date, which stands for the whole UTC day."""
    text = comparison.value
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        following = None if day == date.max else start + timedelta(days=1)
        return start, following, True
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC), None, False
    except (ValueError, OverflowError) as exc:
        raise _conversion_error(comparison, "a date") from exc


def _datetime(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    op = comparison.op
    if op is Op.CONTAINS:
        raise _not_applicable(comparison, "date")
    start, following, whole_day = _parse_instant(comparison)
    if not whole_day or op in (Op.GE, Op.LT):
        return _compare(column, op, start)
    # A bare date: the day runs from `start` up to `following` (exclusive), or to the end of time.
    if following is None:
        after: ColumnElement[bool] = false()
        through: ColumnElement[bool] = column.is_not(None)
    else:
        after, through = column >= following, column < following
    if op is Op.EQ:
        return and_(column >= start, through)
    if op is Op.NE:
        return or_(column.is_(None), column < start, after)
    if op is Op.GT:
        return after
    return through  # Op.LE


def _boolean(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    if comparison.op not in (Op.EQ, Op.NE):
        raise _not_applicable(comparison, "boolean")
    text = comparison.value.lower()
    if text not in ("true", "false"):
        raise _conversion_error(comparison, "a boolean")
    value, opposite = (true(), false()) if text == "true" else (false(), true())
    if comparison.op is Op.EQ:
        return column.is_(value)
    return or_(column.is_(None), column.is_(opposite))


def _number(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    if comparison.op is Op.CONTAINS:
        raise _not_applicable(comparison, "numeric")
    try:
        if _NUMBER.fullmatch(comparison.value) is None:
            raise InvalidOperation
        value = Decimal(comparison.value)
    except InvalidOperation as exc:  # not a number, or an exponent beyond what Decimal holds
        raise _conversion_error(comparison, "a number") from exc
    if not value:
        value = Decimal(0)  # drops any exponent, such as 0e999999
    elif abs(value.adjusted()) > _MAX_NUMBER_EXPONENT:
        raise _conversion_error(comparison, "a number")
    return _compare(column, comparison.op, value)


def _uuid(comparison: Comparison, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    if comparison.op not in (Op.EQ, Op.NE):
        raise _not_applicable(comparison, "id")
    try:
        value = uuid.UUID(comparison.value)
    except ValueError as exc:
        raise _conversion_error(comparison, "an id") from exc
    column_type = getattr(column, "type", None)
    if isinstance(column_type, Uuid) and column_type.as_uuid:
        return _compare(column, comparison.op, value)
    # Ids stored as text are kept in their canonical, lower-case form.
    return _compare(column, comparison.op, str(value))


_BY_KIND: dict[FieldKind, Callable[[Comparison, SQLColumnExpression[Any]], ColumnElement[bool]]] = {
    FieldKind.STRING: _string,
    FieldKind.DATETIME: _datetime,
    FieldKind.BOOLEAN: _boolean,
    FieldKind.NUMBER: _number,
    FieldKind.UUID: _uuid,
}


def column_resolver(fields: Mapping[str, QueryField]) -> Resolver:
    """A resolver for compile_query over `fields`, whose names match case-insensitively.

    The resolver raises UnknownQueryProperty for a property not in `fields`, and
    InvalidQueryValue when the value or operator does not fit the field's kind.
    """
    folded = _fold(fields)

    def resolve(comparison: Comparison) -> ColumnElement[bool]:
        field = _lookup(folded, comparison.property)
        return _BY_KIND[field.kind](comparison, field.column)

    return resolve


def parse_order_by(text: str, fields: Mapping[str, QueryField]) -> list[ColumnElement[Any]]:
    """Read an orderBy such as `-modifiedDate,name`: comma-separated property names (matched
    case-insensitively), each sorted ascending unless prefixed with '-'."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"orderBy longer than {MAX_QUERY_LENGTH} characters")
    if not text.strip():
        raise QuerySyntaxError("empty orderBy")
    folded = _fold(fields)
    terms: list[ColumnElement[Any]] = []
    for raw in text.split(","):
        term = raw.strip()
        descending = term.startswith("-")
        name = term[1:].lstrip() if descending else term
        if PROPERTY_PATTERN.fullmatch(name) is None:
            raise QuerySyntaxError(f"malformed orderBy term {raw.strip()!r}")
        column = _lookup(folded, name).column
        terms.append(column.desc() if descending else column.asc())
    return terms
