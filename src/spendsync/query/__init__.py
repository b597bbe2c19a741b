"""Codat's query language (`query=` on list endpoints) and `orderBy`, compiled to SQL."""

from spendsync.query.compiler import (
    FieldKind,
    InvalidQueryValue,
    QueryField,
    Resolver,
    UnknownQueryProperty,
    column_resolver,
    compile_query,
    escape_like,
    parse_order_by,
)
from spendsync.query.parser import And, Comparison, Expr, Op, Or, QuerySyntaxError, parse_query

__all__ = [
    "And",
    "Comparison",
    "Expr",
    "FieldKind",
    "InvalidQueryValue",
    "Op",
    "Or",
    "QueryField",
    "QuerySyntaxError",
    "Resolver",
    "UnknownQueryProperty",
    "column_resolver",
    "compile_query",
    "escape_like",
    "parse_order_by",
    "parse_query",
]
