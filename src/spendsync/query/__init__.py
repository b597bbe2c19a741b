"""Codat's query language (`query=` on list endpoints) and `orderBy`, compiled to SQL.

expr = parse_query("name~acme&&{created>2024-01-01||isActive=true}")
condition = compile_query(expr, column_resolver(fields))
"""

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
from spendsync.query.parser import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    And,
    Comparison,
    Expr,
    Op,
    Or,
    QuerySyntaxError,
    parse_query,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
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
