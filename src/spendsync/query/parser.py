"""Codat's query language, parsed into a small immutable AST.

    query      := or
    or         := and ( "||" and )*
    and        := primary ( "&&" primary )*
    primary    := "{" or "}" | "(" or ")" | comparison
    comparison := property operator value
    operator   := "!=" | ">=" | "<=" | "=" | ">" | "<" | "~"

A value runs to the next `&&`, `||`, a closing bracket it did not open itself, or the end, and is
trimmed; quote it ('…' or "…", backslash escapes) to keep any of those characters.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 2000
MAX_DEPTH = 20

_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_CLOSER = {"{": "}", "(": ")"}


class QuerySyntaxError(ValueError):
    """The query is not well-formed."""


class Op(enum.Enum):
    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    CONTAINS = "~"


# Longest first, so that ">=" is not read as ">" followed by a value "=…".
_OPERATORS = sorted(Op, key=lambda op: len(op.value), reverse=True)


@dataclass(frozen=True)
class Comparison:
    property: str
    op: Op
    value: str


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr


Expr = Comparison | And | Or


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.groups: list[str] = []

    def fail(self, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"{reason} at position {self.pos}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at(self, token: str) -> bool:
        self.skip_space()
        return self.text.startswith(token, self.pos)

    def parse(self) -> Expr:
        expr = self.parse_or()
        self.skip_space()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos]!r}")
        return expr

    def parse_or(self) -> Expr:
        expr = self.parse_and()
        while self.at("||"):
            self.pos += 2
            expr = Or(expr, self.parse_and())
        return expr

    def parse_and(self) -> Expr:
        expr = self.parse_primary()
        while self.at("&&"):
            self.pos += 2
            expr = And(expr, self.parse_primary())
        return expr

    def parse_primary(self) -> Expr:
        self.skip_space()
        opener = self.text[self.pos] if self.pos < len(self.text) else ""
        if opener in _CLOSER:
            if len(self.groups) >= MAX_DEPTH:
                raise self.fail("groups nested too deeply")
            self.pos += 1
            self.groups.append(opener)
            expr = self.parse_or()
            if not self.at(_CLOSER[opener]):
                raise self.fail(f"missing {_CLOSER[opener]!r}")
            self.pos += 1
            self.groups.pop()
            return expr
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        self.skip_space()
        match = _PROPERTY.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected a property name")
        self.pos = match.end()
        self.skip_space()
        for op in _OPERATORS:
            if self.text.startswith(op.value, self.pos):
                self.pos += len(op.value)
                break
        else:
            raise self.fail("expected an operator")
        return Comparison(match.group(), op, self.parse_value())

    def parse_value(self) -> str:
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] in "'\"":
            return self.parse_quoted(self.text[self.pos])
        start = self.pos
        nested: list[str] = []  # brackets opened inside the value itself, e.g. "Acme (UK) Ltd"
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if self.text.startswith(("&&", "||"), self.pos):
                break
            if char in _CLOSER:
                nested.append(_CLOSER[char])
            elif char in _CLOSER.values():
                if not nested or nested[-1] != char:
                    break  # closes a group (or is stray: the caller reports it)
                nested.pop()
            self.pos += 1
        value = self.text[start : self.pos].strip()
        if not value:
            raise self.fail("expected a value")
        if value[0] in "=<>!~":
            raise self.fail(f"unexpected {value[0]!r}")
        return value

    def parse_quoted(self, quote: str) -> str:
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                if not chars:
                    raise self.fail("empty quoted value")
                return "".join(chars)
            chars.append(char)
            self.pos += 1
        raise self.fail("unterminated quoted value")


def parse_query(text: str) -> Expr:
    """Parse a Codat query string; raise QuerySyntaxError when it is malformed."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_LENGTH} characters")
    if not text.strip():
        raise QuerySyntaxError("empty query")
    return _Parser(text).parse()
