"""The subset of Xero's ``where`` / ``order`` query language that connectors actually send.

Xero evaluates a .NET-LINQ-like filter over the *response* fields, e.g.
``Name=="ABC Ltd"``, ``IsSupplier==true AND ContactStatus=="ACTIVE"``,
``Contact.ContactID==Guid("…")``, ``Name.Contains("Air")``, ``Date>=DateTime(2024, 01, 31)``.
We evaluate the same expressions over the rendered records, so any field the API returns can be
filtered on. Anything outside the subset raises :class:`QueryParseError` like Xero does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from spendsync.sandboxes.xero.dates import parse_date
from spendsync.sandboxes.xero.errors import QueryParseError

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

_CLAUSE = re.compile(
    r"""^\s*(?P<path>[A-Za-z_][A-Za-z0-9_.]*?)
        (?:
            \.(?P<method>Contains|StartsWith|EndsWith)\(\s*"(?P<arg>(?:[^"\\]|\\.)*)"\s*\)
          | \s*(?P<op>==|!=|>=|<=|>|<)\s*(?P<literal>.+?)
        )\s*$""",
    re.VERBOSE,
)
_GUID = re.compile(r'^Guid\(\s*"([0-9a-fA-F-]{36})"\s*\)$')
_DATETIME = re.compile(r"^DateTime\(\s*(\d{4})\s*,\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$")
_SPLIT_OR = re.compile(r"\s+OR\s+|\s*\|\|\s*", re.IGNORECASE)
_SPLIT_AND = re.compile(r"\s+AND\s+|\s*&&\s*", re.IGNORECASE)


def _lookup(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    guid = _GUID.match(text)
    if guid:
        return guid.group(1).lower()
    stamp = _DATETIME.match(text)
    if stamp:
        return date(int(stamp.group(1)), int(stamp.group(2)), int(stamp.group(3)))
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise QueryParseError(f"Unable to parse the value {text} in the where clause") from error


def _coerce(value: Any, literal: Any) -> Any:
    """Bring a record value to the literal's type so comparisons behave like Xero's."""
    if isinstance(literal, date):
        try:
            return parse_date(value)
        except ValueError:
            return None
    if (
        isinstance(literal, Decimal)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return Decimal(str(value))
    if isinstance(literal, str) and isinstance(value, str):
        # Xero compares strings case-insensitively (SQL Server collation).
        return value.lower()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(right, str):
        right = right.lower()
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == ">":
            return bool(left > right)
        if op == "<":
            return bool(left < right)
        if op == ">=":
            return bool(left >= right)
        return bool(left <= right)
    except TypeError:
        return False


def _clause(text: str, fields: set[str]) -> Predicate:
    match = _CLAUSE.match(text)
    if not match:
        raise QueryParseError(f"Unable to parse the where clause: {text.strip()}")
    path = match.group("path")
    if fields and path.split(".")[0] not in fields:
        raise QueryParseError(f"No property or field '{path.split('.')[0]}' exists")
    method = match.group("method")
    if method:
        argument = match.group("arg").lower()

        def text_predicate(record: Record) -> bool:
            value = _lookup(record, path)
            if not isinstance(value, str):
                return False
            lowered = value.lower()
            if method == "Contains":
                return argument in lowered
            if method == "StartsWith":
                return lowered.startswith(argument)
            return lowered.endswith(argument)

        return text_predicate
    op = match.group("op")
    literal = _literal(match.group("literal"))

    def comparison(record: Record) -> bool:
        return _compare(op, _coerce(_lookup(record, path), literal), literal)

    return comparison


def parse_where(expression: str, fields: set[str]) -> Predicate:
    """Compile ``expression``; ``fields`` are the top-level names the record type has."""
    alternatives: list[list[Predicate]] = []
    for branch in _SPLIT_OR.split(expression.strip()):
        alternatives.append([_clause(part, fields) for part in _SPLIT_AND.split(branch)])

    def predicate(record: Record) -> bool:
        return any(all(check(record) for check in branch) for branch in alternatives)

    return predicate


def sort_records(records: list[Record], order: str, fields: set[str]) -> list[Record]:
    """Apply ``order=Name DESC`` / ``order=Date,Name`` (stable, nulls first)."""
    result = list(records)
    for part in reversed([p.strip() for p in order.split(",") if p.strip()]):
        words = part.split()
        path = words[0]
        descending = len(words) > 1 and words[1].upper() == "DESC"
        if fields and path.split(".")[0] not in fields:
            raise QueryParseError(f"No property or field '{path}' exists")

        def key(record: Record, path: str = path) -> tuple[int, str]:
            value = _lookup(record, path)
            if value is None:
                return (0, "")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return (1, f"{value:030.6f}")
            if isinstance(value, str) and value.startswith("/Date("):
                return (1, f"{int(re.sub(r'[^0-9-].*', '', value[6:]) or 0):020d}")
            return (1, str(value).lower())

        result.sort(key=key, reverse=descending)
    return result
