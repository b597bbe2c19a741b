"""Codat's query language (the `query` parameter of list endpoints), parsed into an immutable AST.

Grammar::

    query      := or END
    or         := and ( "||" and )*
    and        := primary ( "&&" primary )*
    primary    := "{" or "}" | "(" or ")" | comparison
    comparison := PROPERTY OPERATOR VALUE
    OPERATOR   := "!=" | ">=" | "<=" | "=" | ">" | "<" | "~"

`&&` binds tighter than `||`; braces (Codat's grouping syntax) and parentheses group. A property is
an identifier, possibly dotted (`metadata.isDeleted`). A value runs up to the next `&&` or `||`,
the bracket that closes the enclosing group, or the end of the query, and is trimmed. Brackets
that open and close inside a value belong to it (`name=Acme (UK) Ltd`). To keep any other special
character, quote the value with '…' or "…"; inside quotes a backslash takes the next character
literally. Values stay strings here: the compiler gives them a type.

Chains such as `a=1&&b=2&&c=3` are built as balanced binary trees, so a query at the length cap
cannot make a tree deep enough to exhaust the stack when it is compared, printed or compiled.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_QUERY_LENGTH = 2000
MAX_DEPTH = 20

PROPERTY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)

_OPENERS = {"{": "}", "(": ")"}
_CLOSERS = frozenset(_OPENERS.values())
_QUOTES = frozenset("'\"")
_OPERATOR_CHARS = frozenset("=!<>~")


class QuerySyntaxError(ValueError):
    """The query is not well-formed; `str()` gives a short reason."""


class Op(enum.Enum):
    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    CONTAINS = "~"


# Longest spelling first, so that ">=" is never read as ">" followed by a value "=…".
_OPERATORS: tuple[Op, ...] = tuple(sorted(Op, key=lambda op: len(op.value), reverse=True))


@dataclass(frozen=True, slots=True)
class Comparison:
    """`property op value`; `property` is spelled as the user typed it."""

    property: str
    op: Op
    value: str


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr


Expr = Comparison | And | Or


class _Kind(enum.Enum):
    OPEN = "an opening bracket"
    CLOSE = "a closing bracket"
    AND = "'&&'"
    OR = "'||'"
    PROPERTY = "a property name"
    OPERATOR = "an operator"
    VALUE = "a value"
    END = "the end of the query"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str
    position: int


def _error(reason: str, position: int) -> QuerySyntaxError:
    return QuerySyntaxError(f"{reason} at position {position}")


class _Tokenizer:
    """Splits a query into tokens. A value's extent depends on what precedes it, so the tokenizer
    reads a value (rather than a property name) right after it has produced an operator."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0

    def tokens(self) -> Iterator[_Token]:
        after_operator = False
        while True:
            self._skip_space()
            if after_operator:
                yield self._value()
                after_operator = False
                continue
            token = self._token()
            yield token
            if token.kind is _Kind.END:
                return
            after_operator = token.kind is _Kind.OPERATOR

    def _skip_space(self) -> None:
        while self._pos < len(self._text) and self._text[self._pos].isspace():
            self._pos += 1

    def _take(self, kind: _Kind, length: int) -> _Token:
        start = self._pos
        self._pos += length
        return _Token(kind, self._text[start : self._pos], start)

    def _token(self) -> _Token:
        text, pos = self._text, self._pos
        if pos == len(text):
            return _Token(_Kind.END, "", pos)
        char = text[pos]
        if char in _OPENERS:
            return self._take(_Kind.OPEN, 1)
        if char in _CLOSERS:
            return self._take(_Kind.CLOSE, 1)
        if text.startswith("&&", pos):
            return self._take(_Kind.AND, 2)
        if text.startswith("||", pos):
            return self._take(_Kind.OR, 2)
        for op in _OPERATORS:
            if text.startswith(op.value, pos):
                return self._take(_Kind.OPERATOR, len(op.value))
        match = PROPERTY_PATTERN.match(text, pos)
        if match is None:
            raise _error(f"unexpected {char!r}", pos)
        return self._take(_Kind.PROPERTY, match.end() - pos)

    def _value(self) -> _Token:
        start = self._pos
        if start < len(self._text) and self._text[start] in _QUOTES:
            return _Token(_Kind.VALUE, self._quoted(), start)
        text = self._text
        pending: list[str] = []  # closers of brackets opened inside the value itself
        while self._pos < len(text):
            char = text[self._pos]
            if text.startswith(("&&", "||"), self._pos):
                break
            if char in _OPENERS:
                pending.append(_OPENERS[char])
            elif char in _CLOSERS:
                if not pending or pending[-1] != char:
                    break  # closes the enclosing group, or is stray (the parser reports it)
                pending.pop()
            self._pos += 1
        value = text[start : self._pos].strip()
        if not value:
            raise _error("expected a value", start)
        if value[0] in _OPERATOR_CHARS:
            raise _error(f"unexpected {value[0]!r}", start)
        return _Token(_Kind.VALUE, value, start)

    def _quoted(self) -> str:
        text = self._text
        quote_at = self._pos
        quote = text[quote_at]
        self._pos += 1
        chars: list[str] = []
        while self._pos < len(text):
            char = text[self._pos]
            if char == "\\" and self._pos + 1 < len(text):
                chars.append(text[self._pos + 1])
                self._pos += 2
            elif char == quote:
                self._pos += 1
                if not chars:
                    raise _error("empty quoted value", quote_at)
                return "".join(chars)
            else:
                chars.append(char)
                self._pos += 1
        raise _error("unterminated quoted value", quote_at)


def _balanced(node: type[And] | type[Or], items: Sequence[Expr]) -> Expr:
    """Join `items` with `node` into a tree of logarithmic depth (left-leaning when uneven)."""
    if len(items) == 1:
        return items[0]
    middle = (len(items) + 1) // 2
    return node(_balanced(node, items[:middle]), _balanced(node, items[middle:]))


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _Tokenizer(text).tokens()
        self._current = next(self._tokens)
        self._depth = 0

    def _advance(self) -> _Token:
        token = self._current
        if token.kind is not _Kind.END:
            self._current = next(self._tokens)
        return token

    def _expect(self, kind: _Kind) -> _Token:
        if self._current.kind is not kind:
            found = self._current
            shown = found.kind.value if found.kind is _Kind.END else repr(found.text)
            raise _error(f"expected {kind.value}, found {shown}", found.position)
        return self._advance()

    def parse(self) -> Expr:
        expr = self._or()
        self._expect(_Kind.END)
        return expr

    def _or(self) -> Expr:
        operands = [self._and()]
        while self._current.kind is _Kind.OR:
            self._advance()
            operands.append(self._and())
        return _balanced(Or, operands)

    def _and(self) -> Expr:
        operands = [self._primary()]
        while self._current.kind is _Kind.AND:
            self._advance()
            operands.append(self._primary())
        return _balanced(And, operands)

    def _primary(self) -> Expr:
        if self._current.kind is not _Kind.OPEN:
            return self._comparison()
        opener = self._advance()
        if self._depth >= MAX_DEPTH:
            raise _error(f"groups nested more than {MAX_DEPTH} deep", opener.position)
        self._depth += 1
        expr = self._or()
        closer = self._expect(_Kind.CLOSE)
        if closer.text != _OPENERS[opener.text]:
            raise _error(f"{closer.text!r} does not close {opener.text!r}", closer.position)
        self._depth -= 1
        return expr

    def _comparison(self) -> Comparison:
        name = self._expect(_Kind.PROPERTY).text
        op = Op(self._expect(_Kind.OPERATOR).text)
        value = self._expect(_Kind.VALUE).text
        return Comparison(name, op, value)


def parse_query(text: str) -> Expr:
    """Parse a Codat query such as `name=Acme&&{created>2024-01-01||isActive=true}`.

    Raises QuerySyntaxError for anything malformed, including queries longer than
    MAX_QUERY_LENGTH, groups nested deeper than MAX_DEPTH, NUL characters and unpaired
    surrogates (which no database would accept).
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_LENGTH} characters")
    if not text.strip():
        raise QuerySyntaxError("empty query")
    if "\x00" in text:
        raise QuerySyntaxError("query contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QuerySyntaxError("query is not valid Unicode") from exc
    return _Parser(text).parse()
