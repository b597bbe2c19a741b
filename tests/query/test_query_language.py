"""Codat's query language: parsing rules, and the SQL they select on a real table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, DateTime, Engine, Numeric, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from spendsync.query import (
    And,
    Comparison,
    Expr,
    FieldKind,
    InvalidQueryValue,
    Op,
    Or,
    QueryField,
    QuerySyntaxError,
    UnknownQueryProperty,
    column_resolver,
    compile_query,
    parse_order_by,
    parse_query,
)


def test_precedence_and_binds_tighter_than_or() -> None:
    assert parse_query("a=1||b=2&&c=3") == Or(
        Comparison("a", Op.EQ, "1"), And(Comparison("b", Op.EQ, "2"), Comparison("c", Op.EQ, "3"))
    )


def test_grouping_with_braces_and_parentheses() -> None:
    expected = And(
        Or(Comparison("a", Op.EQ, "1"), Comparison("b", Op.EQ, "2")), Comparison("c", Op.NE, "3")
    )
    assert parse_query("{a=1||b=2}&&c!=3") == expected
    assert parse_query(" ( a = 1 || b = 2 ) && c != 3 ") == expected


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("x=1", Op.EQ, "1"),
        ("x!=1", Op.NE, "1"),
        ("x>2024-01-01", Op.GT, "2024-01-01"),
        ("x<2024-01-01", Op.LT, "2024-01-01"),
        ("x>=5", Op.GE, "5"),
        ("x<=5", Op.LE, "5"),
        ("x~ab c", Op.CONTAINS, "ab c"),
        ("x='a&&b||c'", Op.EQ, "a&&b||c"),
        ('x="say \\"hi\\""', Op.EQ, 'say "hi"'),
        ("metadata.isDeleted=true", Op.EQ, "true"),
        ("name=Acme (UK) Ltd", Op.EQ, "Acme (UK) Ltd"),
    ],
)
def test_operators_and_values(text: str, op: Op, value: str) -> None:
    parsed = parse_query(text)
    assert isinstance(parsed, Comparison)
    assert (parsed.op, parsed.value) == (op, value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "name=",
        "=a",
        "name==a",
        "name",
        "a=1&&",
        "&&a=1",
        "a=1||",
        "{a=1",
        "a=1}",
        "(a=1",
        "a=1)&&b=2",
        "a=''",
        "a='open",
        "1a=2",
        "a=>1",
        "a=1 b=2 && ",
        "{}",
        "{" * 30 + "a=1" + "}" * 30,
        "a=" + "x" * 2001,
    ],
)
def test_malformed_queries(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_query(text)


@given(st.text(max_size=60))
def test_arbitrary_text_only_ever_raises_syntax_errors(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse_query(text)


names = st.from_regex(r"\A[a-z][a-zA-Z0-9]{0,8}\Z")
values = st.from_regex(r"\A[a-zA-Z0-9][a-zA-Z0-9 .:-]{0,10}[a-zA-Z0-9]\Z|\A[a-zA-Z0-9]\Z")
comparisons = st.builds(Comparison, names, st.sampled_from(list(Op)), values)
expressions: st.SearchStrategy[Expr] = st.recursive(
    comparisons,
    lambda children: st.builds(And, children, children) | st.builds(Or, children, children),
    max_leaves=8,
)


def render(expr: Expr) -> str:
    if isinstance(expr, Comparison):
        return f"{expr.property}{expr.op.value}{expr.value}"
    joiner = "&&" if isinstance(expr, And) else "||"
    return "{" + render(expr.left) + joiner + render(expr.right) + "}"


@given(expressions)
def test_rendered_expressions_round_trip(expr: Expr) -> None:
    assert parse_query(render(expr)) == expr


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(50))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool | None] = mapped_column(Boolean)
    amount: Mapped[float] = mapped_column(Numeric(10, 2))


FIELDS = {
    "name": QueryField(Row.name, FieldKind.STRING),
    "created": QueryField(Row.created, FieldKind.DATETIME),
    "isActive": QueryField(Row.active, FieldKind.BOOLEAN),
    "amount": QueryField(Row.amount, FieldKind.NUMBER),
}


@pytest.fixture
def table() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [
                Row(
                    id=1,
                    name="Acme Ltd",
                    created=datetime(2024, 1, 1, 9, tzinfo=UTC),
                    active=True,
                    amount=10,
                ),
                Row(
                    id=2,
                    name="acme 50%_off",
                    created=datetime(2024, 1, 2, tzinfo=UTC),
                    active=False,
                    amount=20.5,
                ),
                Row(
                    id=3,
                    name="Beta",
                    created=datetime(2024, 2, 1, tzinfo=UTC),
                    active=None,
                    amount=30,
                ),
                Row(
                    id=4,
                    name=None,
                    created=datetime(2023, 12, 31, 23, 59, tzinfo=UTC),
                    active=True,
                    amount=0,
                ),
            ]
        )
        session.commit()
    yield engine
    engine.dispose()


def ids(engine: Engine, query: str, order_by: str = "") -> list[int]:
    statement = select(Row.id).where(compile_query(parse_query(query), column_resolver(FIELDS)))
    statement = (
        statement.order_by(*parse_order_by(order_by, FIELDS))
        if order_by
        else statement.order_by(Row.id)
    )
    with Session(engine) as session:
        return list(session.scalars(statement))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=ACME LTD", [1]),
        ("NAME=acme ltd", [1]),
        ("name!=acme ltd", [2, 3, 4]),
        ("name~acme", [1, 2]),
        ("name~50%_", [2]),
        ("name~%", [2]),
        ("created=2024-01-01", [1]),
        ("created>2024-01-01", [2, 3]),
        ("created>=2024-01-01", [1, 2, 3]),
        ("created<2024-01-01", [4]),
        ("created<=2024-01-01", [1, 4]),
        ("created>2024-01-01T12:00:00Z", [2, 3]),
        ("isActive=true", [1, 4]),
        ("isActive!=true", [2, 3]),
        ("isActive=FALSE", [2]),
        ("amount>=20.5", [2, 3]),
        ("amount=0", [4]),
        ("name~acme&&isActive=true||name=beta", [1, 3]),
        ("name~acme&&{isActive=true||name=beta}", [1]),
    ],
)
def test_selections(table: Engine, query: str, expected: list[int]) -> None:
    assert ids(table, query) == expected


def test_order_by(table: Engine) -> None:
    assert ids(table, "amount>=0", "-amount") == [3, 2, 1, 4]
    assert ids(table, "amount>=0", "isActive,-created")[:2] == [3, 2]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("nope=1", UnknownQueryProperty),
        ("created>yesterday", InvalidQueryValue),
        ("created~2024", InvalidQueryValue),
        ("isActive=yes", InvalidQueryValue),
        ("isActive>true", InvalidQueryValue),
        ("amount=ten", InvalidQueryValue),
        ("amount~1", InvalidQueryValue),
    ],
)
def test_values_that_do_not_fit_the_property(
    table: Engine, query: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        ids(table, query)


@pytest.mark.parametrize("order_by", ["", ",", "-", "name,,", "na me", "-unknown"])
def test_bad_order_by(order_by: str) -> None:
    with pytest.raises((QuerySyntaxError, UnknownQueryProperty)):
        parse_order_by(order_by, FIELDS)
