"""Compiled queries select the right rows of a real table.

The table lives in an in-memory SQLite database, or in the run's throwaway PostgreSQL database
when the suite runs with `--db postgresql`, so the same SQL is checked on both engines.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Integer,
    Numeric,
    String,
    create_engine,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from spendsync.query import (
    MAX_QUERY_LENGTH,
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
    escape_like,
    parse_order_by,
    parse_query,
)


class _Base(DeclarativeBase):
    pass


class Entry(_Base):
    __tablename__ = "query_compiler_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(60))
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool | None] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    ref: Mapped[str | None] = mapped_column(String(36))
    rank: Mapped[int] = mapped_column(Integer)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


REFS = [str(uuid.UUID(int=n)) for n in range(1, 6)]


@dataclass(frozen=True)
class Fixture:
    id: int
    name: str | None
    created: datetime | None
    active: bool | None
    amount: Decimal | None
    ref: str | None
    rank: int


ROWS = [
    Fixture(1, "Acme Ltd", utc(2024, 1, 1), True, Decimal("10.00"), REFS[0], 3),
    Fixture(
        2, "ACME LTD", utc(2024, 1, 1, 23, 59, 59, 500000), False, Decimal("20.50"), REFS[1], 1
    ),
    Fixture(3, "50% off_sale", utc(2024, 1, 2), None, Decimal("-5.25"), None, 7),
    Fixture(4, "50 percent offXsale", utc(2023, 12, 31, 23), True, Decimal(0), REFS[2], 2),
    Fixture(5, "path/to\\file", None, False, None, REFS[3], 6),
    Fixture(6, None, utc(2024, 2, 29, 12), None, Decimal(1000000), None, 5),
    Fixture(7, "Ærø", utc(2025, 6, 1, 8, 30), True, Decimal("0.01"), REFS[4], 4),
]
ALL = [row.id for row in ROWS]

FIELDS: dict[str, QueryField] = {
    "id": QueryField(Entry.id, FieldKind.NUMBER),
    "name": QueryField(Entry.name, FieldKind.STRING),
    "created": QueryField(Entry.created, FieldKind.DATETIME),
    "isActive": QueryField(Entry.active, FieldKind.BOOLEAN),
    "amount": QueryField(Entry.amount, FieldKind.NUMBER),
    "ref.id": QueryField(Entry.ref, FieldKind.UUID),
    "rank": QueryField(Entry.rank, FieldKind.NUMBER),
    "a": QueryField(Entry.amount, FieldKind.NUMBER),  # a short alias, for very long queries
}


@pytest.fixture(scope="module")
def db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.config.getoption("--db", default="sqlite") == "postgresql":
        url: str = request.getfixturevalue("database_url")
    else:
        url = "sqlite://"
    engine = create_engine(url)
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Entry(**vars(row)) for row in ROWS)
        session.commit()
    yield engine
    _Base.metadata.drop_all(engine)
    engine.dispose()


def select_ids(engine: Engine, query: str, order_by: str | None = None) -> list[int]:
    condition = compile_query(parse_query(query), column_resolver(FIELDS))
    statement = select(Entry.id).where(condition)
    if order_by is None:
        statement = statement.order_by(Entry.id)
    else:
        statement = statement.order_by(*parse_order_by(order_by, FIELDS))
    with Session(engine) as session:
        return list(session.scalars(statement))


def all_but(*ids: int) -> list[int]:
    return [n for n in ALL if n not in ids]


# -- strings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=Acme Ltd", [1, 2]),
        ("name=acme ltd", [1, 2]),
        ("name=aCmE lTd", [1, 2]),
        ("NAME=ACME LTD", [1, 2]),
        ("name='Acme Ltd'", [1, 2]),
        ("name=Acme", []),
        ("name=Ærø", [7]),
        ("name=path/to\\file", [5]),
        ("name!=acme ltd", [3, 4, 5, 6, 7]),
        ("name!=nobody", ALL),
        ("name~acme", [1, 2]),
        ("name~CME L", [1, 2]),
        ("name~LTD", [1, 2]),
        ("name~ø", [7]),
        ("name~50", [3, 4]),
        ("name~50%", [3]),
        ("name~%", [3]),
        ("name~_", [3]),
        ("name~f_s", [3]),
        ("name~off_sale", [3]),
        ("name~/", [5]),
        ("name~h/t", [5]),
        ("name~o\\f", [5]),
        ("name~\\", [5]),
        ("name~'%_'", []),
        ("name~e", [1, 2, 3, 4, 5]),
    ],
)
def test_strings(db: Engine, query: str, expected: list[int]) -> None:
    assert select_ids(db, query) == expected


def test_escape_like_makes_wildcards_literal() -> None:
    assert escape_like("50%_off/x\\y") == "50/%/_off//x\\y"
    assert escape_like("a!b%", "!") == "a!!b!%"


# -- dates and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A bare date is the whole UTC day.
        ("created=2024-01-01", [1, 2]),
        ("created!=2024-01-01", [3, 4, 5, 6, 7]),
        ("created>2024-01-01", [3, 6, 7]),
        ("created>=2024-01-01", [1, 2, 3, 6, 7]),
        ("created<2024-01-01", [4]),
        ("created<=2024-01-01", [1, 2, 4]),
        ("created=2023-12-31", [4]),
        ("created=2024-02-29", [6]),
        ("created=2030-01-01", []),
        ("created>=2024-01-01&&created<2024-01-03", [1, 2, 3]),
        ("created>2023-12-31&&created<=2024-01-02", [1, 2, 3]),
        ("created>9999-12-31", []),
        ("created<=9999-12-31", [1, 2, 3, 4, 6, 7]),
        ("created>=0001-01-01", [1, 2, 3, 4, 6, 7]),
        ("created=20240101", [1, 2]),
        # Datetimes are instants; without an offset they are UTC.
        ("created=2024-01-01T00:00:00Z", [1]),
        ("created=2024-01-01T00:00:00", [1]),
        ("created=2024-01-01 00:00:00+00:00", [1]),
        ("created=2024-01-01T01:00:00+01:00", [1]),
        ("created=2024-01-01T00:00:00+01:00", [4]),
        ("created=2024-01-01T23:59:59.5Z", [2]),
        ("created!=2024-01-01T00:00:00Z", [2, 3, 4, 5, 6, 7]),
        ("created>2024-01-01T00:00:00Z", [2, 3, 6, 7]),
        ("created>=2024-01-01T00:00:00Z", [1, 2, 3, 6, 7]),
        ("created<2024-01-01T12:00:00Z", [1, 4]),
        ("created<=2024-01-01T23:59:59.5Z", [1, 2, 4]),
        ("created>2024-01-01T12:00:00-12:00", [6, 7]),
        ("created>=2024-01-01T12:00:00-12:00", [3, 6, 7]),
        ("created>2024-01-01T12:00", [2, 3, 6, 7]),
        ("created>2025-06-01T08:29:59Z", [7]),
    ],
)
def test_dates(db: Engine, query: str, expected: list[int]) -> None:
    assert select_ids(db, query) == expected


# -- booleans, numbers, ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("isActive=true", [1, 4, 7]),
        ("isActive=TRUE", [1, 4, 7]),
        ("isactive=True", [1, 4, 7]),
        ("isActive=false", [2, 5]),
        ("isActive=False", [2, 5]),
        ("isActive!=true", [2, 3, 5, 6]),
        ("isActive!=false", [1, 3, 4, 6, 7]),
        ("amount=10", [1]),
        ("amount=10.00", [1]),
        ("amount=1e1", [1]),
        ("amount=20.5", [2]),
        ("amount=-5.25", [3]),
        ("amount=0", [4]),
        ("amount=0.00", [4]),
        ("amount=-0", [4]),
        ("amount!=0", [1, 2, 3, 5, 6, 7]),
        ("amount>0", [1, 2, 6, 7]),
        ("amount>=0", [1, 2, 4, 6, 7]),
        ("amount<0", [3]),
        ("amount<=10", [1, 3, 4, 7]),
        ("amount>1e5", [6]),
        ("amount<.02", [3, 4, 7]),
        ("amount>+20.49", [2, 6]),
        ("amount>-1e100", [1, 2, 3, 4, 6, 7]),
        ("rank>=5", [3, 5, 6]),
        ("rank<2.5", [2, 4]),
        ("id=3", [3]),
        (f"ref.id={REFS[0]}", [1]),
        (f"REF.ID={REFS[0].upper()}", [1]),
        (f"ref.id={{{REFS[1]}}}", [2]),
        (f"ref.id={uuid.UUID(REFS[2]).hex}", [4]),
        (f"ref.id=urn:uuid:{REFS[3]}", [5]),
        (f"ref.id!={REFS[0]}", [2, 3, 4, 5, 6, 7]),
        (f"ref.id={uuid.UUID(int=99)}", []),
    ],
)
def test_booleans_numbers_and_ids(db: Engine, query: str, expected: list[int]) -> None:
    assert select_ids(db, query) == expected


# -- combinations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name~acme&&isActive=true", [1]),
        ("name~acme||isActive=true", [1, 2, 4, 7]),
        ("name~acme&&isActive=true||amount<0", [1, 3]),
        ("amount<0||name~acme&&isActive=true", [1, 3]),
        ("name~acme&&{isActive=true||amount<0}", [1]),
        ("{amount<0||name~acme}&&isActive!=true", [2, 3]),
        ("(amount<0||name~acme)&&(isActive!=true)", [2, 3]),
        ("{name~acme||name~50}&&{created>2024-01-01||amount=0}", [3, 4]),
        ("name~acme&&amount>15||name~50&&amount<5||name=Ærø", [2, 3, 4, 7]),
        ("{{{name~acme}}}", [1, 2]),
        ("{name=nobody||{rank>6||{rank<2}}}", [2, 3]),
        ("name~acme&&name!=acme ltd", []),
        ("rank>=1&&rank<=7&&amount!=0&&isActive!=false", [1, 3, 6, 7]),
    ],
)
def test_connectives_and_grouping(db: Engine, query: str, expected: list[int]) -> None:
    assert select_ids(db, query) == expected


def test_longest_queries_compile_and_run(db: Engine) -> None:
    for joiner in ("&&", "||"):
        count = (MAX_QUERY_LENGTH + len(joiner)) // (len("a>=0") + len(joiner))
        text = joiner.join(["a>=0"] * count)
        assert len(text) <= MAX_QUERY_LENGTH
        assert select_ids(db, text) == [1, 2, 4, 6, 7]
    mixed = "||".join(["a<0&&a>-9"] * 180)
    assert len(mixed) <= MAX_QUERY_LENGTH
    assert select_ids(db, mixed) == [3]


def test_custom_resolver_sees_each_comparison() -> None:
    seen: list[Comparison] = []

    def resolve(comparison: Comparison) -> Any:
        seen.append(comparison)
        return Entry.rank == int(comparison.value)

    condition = compile_query(parse_query("x=1||y=2&&z=3"), resolve)
    assert [c.property for c in seen] == ["x", "y", "z"]
    assert str(condition) == (
        "query_compiler_entries.rank = :rank_1 OR "
        "query_compiler_entries.rank = :rank_2 AND query_compiler_entries.rank = :rank_3"
    )


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["nope=1", "Nope.Thing~x", "name=x&&{rank=1||ghost!=2}"])
def test_unknown_properties(query: str) -> None:
    with pytest.raises(UnknownQueryProperty) as caught:
        compile_query(parse_query(query), column_resolver(FIELDS))
    assert caught.value.name in {"nope", "Nope.Thing", "ghost"}
    assert caught.value.name in query
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("created>abc", "Could not convert 'abc' to a date for property created"),
        ("CREATED=2024-13-01", "Could not convert '2024-13-01' to a date for property CREATED"),
        ("created=2024-01-01T25:00", "Could not convert '2024-01-01T25:00' to a date"),
        ("created=0001-01-01T00:00:00+01:00", "to a date"),
        ("created='2024-01-01 '", "to a date"),
        ("created~2024", "cannot be used"),
        ("isActive=yes", "Could not convert 'yes' to a boolean for property isActive"),
        ("isActive=1", "to a boolean"),
        ("isActive>true", "cannot be used"),
        ("isActive~true", "cannot be used"),
        ("amount=ten", "Could not convert 'ten' to a number for property amount"),
        ("amount=1,5", "to a number"),
        ("amount=1_000", "to a number"),
        ("amount=NaN", "to a number"),
        ("amount=Infinity", "to a number"),
        ("amount=0x10", "to a number"),
        ("amount=1e999999999999999999999", "to a number"),
        ("amount=1e200", "to a number"),
        ("amount~1", "cannot be used"),
        ("ref.id=42", "Could not convert '42' to an id for property ref.id"),
        ("ref.id>" + REFS[0], "cannot be used"),
        ("ref.id~" + REFS[0][:8], "cannot be used"),
    ],
)
def test_values_that_do_not_fit_the_property(query: str, message: str) -> None:
    with pytest.raises(InvalidQueryValue, match=re.escape(message)):
        compile_query(parse_query(query), column_resolver(FIELDS))


# -- orderBy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("rank", [2, 4, 1, 7, 6, 5, 3]),
        ("-rank", [3, 5, 6, 7, 1, 4, 2]),
        ("RANK", [2, 4, 1, 7, 6, 5, 3]),
        (" - rank ", [3, 5, 6, 7, 1, 4, 2]),
        ("isActive,-rank", [5, 2, 7, 1, 4]),
        ("-isActive,rank", [4, 1, 7, 2, 5]),
        ("-isActive, -id", [7, 4, 1, 5, 2]),
    ],
)
def test_order_by(db: Engine, order_by: str, expected: list[int]) -> None:
    query = "rank>=1" if "isActive" not in order_by else "isActive=true||isActive=false"
    assert select_ids(db, query, order_by) == expected


def test_order_by_dates_and_amounts(db: Engine) -> None:
    assert select_ids(db, "created>=2000-01-01", "created") == [4, 1, 2, 3, 6, 7]
    assert select_ids(db, "created>=2000-01-01", "-created") == [7, 6, 3, 2, 1, 4]
    assert select_ids(db, "amount>=-100", "-amount") == [6, 2, 1, 7, 4, 3]


@pytest.mark.parametrize(
    "order_by",
    ["", " ", ",", "rank,", ",rank", "rank,,id", "-", "--rank", "+rank", "ra nk", "rank desc", "1"],
)
def test_malformed_order_by(order_by: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_order_by(order_by, FIELDS)


def test_order_by_length_is_capped() -> None:
    with pytest.raises(QuerySyntaxError):
        parse_order_by(",".join(["rank"] * 500), FIELDS)


@pytest.mark.parametrize(("order_by", "name"), [("nope", "nope"), ("rank,-Ghost.x", "Ghost.x")])
def test_order_by_unknown_property(order_by: str, name: str) -> None:
    with pytest.raises(UnknownQueryProperty) as caught:
        parse_order_by(order_by, FIELDS)
    assert caught.value.name == name


# -- properties: the SQL agrees with a plain-Python reading of the query ----------------------


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _ordered(op: Op, left: Any, right: Any) -> bool:
    outcomes: dict[Op, bool] = {
        Op.EQ: left == right,
        Op.NE: left != right,
        Op.GT: left > right,
        Op.LT: left < right,
        Op.GE: left >= right,
        Op.LE: left <= right,
    }
    return outcomes[op]


def holds(expr: Expr, row: Fixture) -> bool:
    """What the query means for one row, written without SQL."""
    if not isinstance(expr, Comparison):
        left, right = holds(expr.left, row), holds(expr.right, row)
        return left and right if isinstance(expr, And) else left or right
    op, value = expr.op, expr.value
    field = expr.property.lower()
    actual: Any
    value_: Any
    if field == "name":
        if row.name is None:
            return op is Op.NE
        if op is Op.CONTAINS:
            return value.lower() in row.name.lower()
        actual, value_ = row.name.lower(), value.lower()
    elif field == "created":
        if row.created is None:
            return op is Op.NE
        day = _day(value)
        if day is not None:
            actual, value_ = row.created.date(), day
        else:
            parsed = datetime.fromisoformat(value)
            actual, value_ = row.created, parsed.replace(tzinfo=parsed.tzinfo or UTC)
    elif field == "isactive":
        if row.active is None:
            return op is Op.NE
        actual, value_ = row.active, value.lower() == "true"
    elif field == "amount":
        if row.amount is None:
            return op is Op.NE
        actual, value_ = row.amount, Decimal(value)
    else:
        raise AssertionError(field)
    return _ordered(op, actual, value_)


ascii_needles = st.text(alphabet="acmeltdof %_/\\x5AC", min_size=1, max_size=4)
string_comparisons = st.builds(
    Comparison,
    st.sampled_from(["name", "NAME"]),
    st.sampled_from([Op.EQ, Op.NE, Op.CONTAINS]),
    ascii_needles | st.sampled_from([row.name for row in ROWS if row.name and row.name.isascii()]),
)
instants = st.datetimes(
    min_value=datetime(2023, 12, 30), max_value=datetime(2024, 3, 2), timezones=st.just(UTC)
) | st.sampled_from([row.created for row in ROWS if row.created])
date_values = st.one_of(
    st.dates(min_value=date(2023, 12, 29), max_value=date(2024, 3, 3)).map(date.isoformat),
    instants.map(lambda moment: moment.isoformat()),
    instants.map(lambda moment: moment.replace(tzinfo=None).isoformat()),
    instants.map(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
    instants.map(lambda moment: moment.astimezone(timezone(timedelta(hours=-5))).isoformat()),
)
ordering_ops = st.sampled_from([Op.EQ, Op.NE, Op.GT, Op.LT, Op.GE, Op.LE])
date_comparisons = st.builds(Comparison, st.just("created"), ordering_ops, date_values)
bool_comparisons = st.builds(
    Comparison,
    st.just("isActive"),
    st.sampled_from([Op.EQ, Op.NE]),
    st.sampled_from(["true", "false", "TRUE", "False"]),
)
amounts = st.decimals(min_value=-30, max_value=30, places=2) | st.sampled_from(
    [row.amount for row in ROWS if row.amount is not None]
)
number_comparisons = st.builds(Comparison, st.just("amount"), ordering_ops, amounts.map(str))
any_comparison = string_comparisons | date_comparisons | bool_comparisons | number_comparisons


query_trees: st.SearchStrategy[Expr] = st.recursive(
    any_comparison,
    lambda children: st.builds(And, children, children) | st.builds(Or, children, children),
    max_leaves=6,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=query_trees)
def test_sql_agrees_with_python(db: Engine, expr: Expr) -> None:
    statement = select(Entry.id).where(compile_query(expr, column_resolver(FIELDS)))
    with Session(db) as session:
        selected = sorted(session.scalars(statement))
    assert selected == [row.id for row in ROWS if holds(expr, row)]


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(FIELDS)),
    op=st.sampled_from(list(Op)),
    value=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
        min_size=1,
        max_size=30,
    )
    | st.from_regex(r"\A[-+]?\d{1,3}(\.\d{0,3})?([eE][-+]?\d{1,4})?\Z")
    | st.from_regex(r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?\Z"),
)
def test_any_value_runs_or_is_rejected_cleanly(db: Engine, name: str, op: Op, value: str) -> None:
    try:
        condition = compile_query(Comparison(name, op, value), column_resolver(FIELDS))
    except InvalidQueryValue as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert name in message
        return
    with Session(db) as session:
        session.scalars(select(Entry.id).where(condition)).all()
