"""The subset of QuickBooks Online's query language connectors send.

``SELECT * | COUNT(*) | f1, f2 FROM Entity [WHERE cond AND cond …] [ORDERBY f [ASC|DESC], …]
[STARTPOSITION n] [MAXRESULTS n]`` where a condition is ``field op literal`` with ``=, <, >,
<=, >=, !=``, ``field IN (lit, …)`` or ``field LIKE 'pat%'``. Keywords are case-insensitive,
literals are single-quoted strings (``\\'`` escapes a quote), numbers or ``true``/``false``.
QBO has no ``OR`` and no parentheses; neither has the sandbox.

Fields are paths into the rendered entity (``MetaData.LastUpdatedTime``, ``CurrencyRef``); a
reference compares on its ``value``. Timestamps compare as instants, so
``MetaData.LastUpdatedTime > '2024-01-01T00:00:00-08:00'`` works for incremental reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from spendsync.sandboxes.qbo.errors import query_parse

Record = dict[str, Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*(?:\(\*\))?)
      | (?P<number>-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000


@dataclass(frozen=True)
class Condition:
    path: str
    op: str
    value: Any


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise query_parse(
                f'Encountered " {text[position : position + 20]!r} at column {position}'
            )
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("\\'", "'")
    if kind == "number":
        return Decimal(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise query_parse(f'Encountered " {text} " expecting a literal')


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise query_parse("Encountered <EOF> at end of statement")
        self.index += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.index += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            token = self.peek()
            raise query_parse(
                f'Encountered " {token[1] if token else "<EOF>"} " expecting "{word.upper()}"'
            )

    def integer(self) -> int:
        kind, text = self.take()
        if kind != "number" or not text.isdigit():
            raise query_parse(f'Encountered " {text} " expecting an integer')
        return int(text)

    def parse(self) -> Query:
        self.expect("select")
        count = False
        if self.keyword("count(*)"):
            count = True
        else:
            while True:
                kind, text = self.take()
                if kind not in ("word", "punct") or (kind == "punct" and text not in "*,"):
                    raise query_parse(f'Encountered " {text} " in the select list')
                token = self.peek()
                if token and token[0] == "word" and token[1].lower() == "from":
                    break
        self.expect("from")
        kind, entity = self.take()
        if kind != "word":
            raise query_parse(f'Encountered " {entity} " expecting an entity name')
        query = Query(entity=entity, count=count)
        if self.keyword("where"):
            query.conditions.append(self.condition())
            while self.keyword("and"):
                query.conditions.append(self.condition())
            if self.keyword("or"):
                raise query_parse('Encountered " OR " : OR is not supported')
        if self.keyword("orderby"):
            while True:
                kind, path = self.take()
                if kind != "word":
                    raise query_parse(f'Encountered " {path} " expecting a field')
                descending = self.keyword("desc")
                if not descending:
                    self.keyword("asc")
                query.order.append((path, descending))
                token = self.peek()
                if not (token and token == ("punct", ",")):
                    break
                self.take()
        if self.keyword("startposition"):
            query.start_position = max(self.integer(), 1)
        if self.keyword("maxresults"):
            query.max_results = min(self.integer(), MAX_RESULTS_CAP)
        token = self.peek()
        if token is not None:
            raise query_parse(f'Encountered " {token[1]} " at end of statement')
        return query

    def condition(self) -> Condition:
        kind, path = self.take()
        if kind != "word":
            raise query_parse(f'Encountered " {path} " expecting a field')
        if self.keyword("in"):
            if self.take() != ("punct", "("):
                raise query_parse('Encountered a token expecting "("')
            values = [_literal(*self.take())]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(_literal(*self.take()))
            if self.take() != ("punct", ")"):
                raise query_parse('Encountered a token expecting ")"')
            return Condition(path, "in", values)
        if self.keyword("like"):
            return Condition(path, "like", _literal(*self.take()))
        kind, op = self.take()
        if kind != "op":
            raise query_parse(f'Encountered " {op} " expecting an operator')
        return Condition(path, "!=" if op == "<>" else op, _literal(*self.take()))


def parse_query(text: str) -> Query:
    return _Parser(text).parse()


def _values(record: Record, path: str) -> list[Any]:
    """Every value at ``path``; a list on the way (``AttachableRef``) contributes each item."""
    found: list[Any] = [record]
    for part in path.split("."):
        step: list[Any] = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    key = next((k for k in item if k.lower() == part.lower()), None)
                    if key is not None:
                        step.append(item[key])
        found = step
    flat = [item for value in found for item in (value if isinstance(value, list) else [value])]
    # a ReferenceType compares on its id
    return [v["value"] if isinstance(v, dict) and "value" in v else v for v in flat]


def _lookup(record: Record, path: str) -> Any:
    values = _values(record, path)
    return values[0] if values else None


def _timestamp(text: str) -> datetime | None:
    if "T" not in text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    if left is None:
        return None
    if isinstance(right, bool) or isinstance(left, bool):
        return (bool(left), right) if isinstance(left, bool) and isinstance(right, bool) else None
    if isinstance(right, Decimal):
        try:
            return Decimal(str(left)), right
        except InvalidOperation:
            return None
    if isinstance(left, str) and isinstance(right, str):
        left_stamp, right_stamp = _timestamp(left), _timestamp(right)
        if left_stamp and right_stamp:
            return left_stamp, right_stamp
        if left.isdigit() and right.isdigit():
            return int(left), int(right)  # Ids compare as numbers
        return left.lower(), right.lower()
    return str(left).lower(), str(right).lower()


def _like(value: Any, pattern: Any) -> bool:
    if value is None or not isinstance(pattern, str):
        return False
    regex = "".join(".*" if char == "%" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def matches(record: Record, condition: Condition) -> bool:
    return any(_matches(value, condition) for value in _values(record, condition.path))


def _matches(value: Any, condition: Condition) -> bool:
    if condition.op == "like":
        return _like(value, condition.value)
    candidates = condition.value if condition.op == "in" else [condition.value]
    for candidate in candidates:
        pair = _comparable(value, candidate)
        if pair is None:
            continue
        left, right = pair
        op = "=" if condition.op == "in" else condition.op
        if (
            (op == "=" and left == right)
            or (op == "!=" and left != right)
            or (op == "<" and left < right)
            or (op == ">" and left > right)
            or (op == "<=" and left <= right)
            or (op == ">=" and left >= right)
        ):
            return True
    return False


def sort_key(record: Record, path: str) -> tuple[int, Any]:
    value = _lookup(record, path)
    if value is None:
        return (0, "")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (1, Decimal(str(value)))
    if isinstance(value, str):
        if value.isdigit():
            return (1, Decimal(value))
        stamp = _timestamp(value)
        if stamp is not None:
            return (2, stamp.timestamp())
        return (3, value.lower())
    return (3, str(value).lower())
