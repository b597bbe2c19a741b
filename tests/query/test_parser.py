"""The query language's parser: operators, precedence, grouping, quoting, limits and errors."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spendsync.query import (
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


def eq(name: str, value: str) -> Comparison:
    return Comparison(name, Op.EQ, value)


A, B, C, D = eq("a", "1"), eq("b", "2"), eq("c", "3"), eq("d", "4")


def depth(expr: Expr) -> int:
    if isinstance(expr, Comparison):
        return 0
    return 1 + max(depth(expr.left), depth(expr.right))


def leaves(expr: Expr) -> list[Comparison]:
    if isinstance(expr, Comparison):
        return [expr]
    return leaves(expr.left) + leaves(expr.right)


def shape(expr: Expr) -> Any:
    """The expression with runs of one connective flattened: equal shapes mean equal logic
    up to associativity (which is how chains of && or || may be grouped)."""
    if isinstance(expr, Comparison):
        return (expr.property, expr.op, expr.value)
    kind = type(expr)
    operands: list[Any] = []
    for side in (expr.left, expr.right):
        flat = shape(side)
        if type(side) is kind:
            operands.extend(flat[1])
        else:
            operands.append(flat)
    return (kind.__name__, operands)


# -- comparisons ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("amount=5", Op.EQ),
        ("amount!=5", Op.NE),
        ("amount>5", Op.GT),
        ("amount<5", Op.LT),
        ("amount>=5", Op.GE),
        ("amount<=5", Op.LE),
        ("amount~5", Op.CONTAINS),
    ],
)
def test_every_operator(text: str, op: Op) -> None:
    assert parse_query(text) == Comparison("amount", op, "5")
    spaced = text.replace(op.value, f" \t{op.value}  ")
    assert parse_query(f"  {spaced}\n") == Comparison("amount", op, "5")


def test_operator_spellings_are_the_seven_codat_operators() -> None:
    assert sorted(op.value for op in Op) == sorted(["=", "!=", ">", "<", ">=", "<=", "~"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata.isDeleted=true", Comparison("metadata.isDeleted", Op.EQ, "true")),
        ("customerRef.id=61", Comparison("customerRef.id", Op.EQ, "61")),
        ("a.b.c_d.E9=x", Comparison("a.b.c_d.E9", Op.EQ, "x")),
        ("_private>1", Comparison("_private", Op.GT, "1")),
        ("sourceModifiedDate>2024-01-01", Comparison("sourceModifiedDate", Op.GT, "2024-01-01")),
        ("NAME=x", Comparison("NAME", Op.EQ, "x")),
    ],
)
def test_property_names_are_kept_as_typed(text: str, expected: Comparison) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("name=Acme", "Acme"),
        ("name=  Acme  Ltd  ", "Acme  Ltd"),
        ("name=Acme (UK) Ltd", "Acme (UK) Ltd"),
        ("name=a{b}c", "a{b}c"),
        ("name=a(b{c}d)e", "a(b{c}d)e"),
        ("name=a(b", "a(b"),
        ("name=b=c", "b=c"),
        ("name=O'Brien", "O'Brien"),
        ('name=say "hi"', 'say "hi"'),
        ("name=a & b | c", "a & b | c"),
        ("name=50%_off", "50%_off"),
        ("name=back\\slash", "back\\slash"),
        ("created>2024-01-01T10:00:00+01:00", "2024-01-01T10:00:00+01:00"),
        ("amount>-5", "-5"),
        ("name=Ærø ünïcode ✓", "Ærø ünïcode ✓"),
        ("name=\tx\n", "x"),
    ],
)
def test_unquoted_values_run_to_the_next_connective_and_are_trimmed(text: str, value: str) -> None:
    parsed = parse_query(text)
    assert isinstance(parsed, Comparison)
    assert parsed.value == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("name='a&&b||c'", "a&&b||c"),
        ('name="a&&b||c"', "a&&b||c"),
        ("name='}){('", "}){("),
        ("name='  padded  '", "  padded  "),
        ("name = 'x' ", "x"),
        ("name='=x'", "=x"),
        ("name='>=<~!'", ">=<~!"),
        ("name='say \"hi\"'", 'say "hi"'),
        ('name="it\'s"', "it's"),
        ("name='it\\'s'", "it's"),
        ('name="a \\"b\\" c"', 'a "b" c'),
        ("name='back\\\\slash'", "back\\slash"),
        ("name='\\x'", "x"),
        ("name=' '", " "),
    ],
)
def test_quoted_values_keep_special_characters(text: str, value: str) -> None:
    parsed = parse_query(text)
    assert isinstance(parsed, Comparison)
    assert parsed.value == value


def test_quoted_values_inside_groups_and_chains() -> None:
    assert parse_query("{a='x}'||b=\"y)\"}&&c='&&'") == And(
        Or(eq("a", "x}"), eq("b", "y)")), eq("c", "&&")
    )


# -- precedence and grouping ------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    assert parse_query("a=1||b=2&&c=3") == Or(A, And(B, C))
    assert parse_query("a=1&&b=2||c=3") == Or(And(A, B), C)
    assert parse_query("a=1&&b=2||c=3&&d=4") == Or(And(A, B), And(C, D))


def test_chains_keep_their_operands_in_order() -> None:
    assert parse_query("a=1&&b=2&&c=3") == And(And(A, B), C)
    assert parse_query("a=1||b=2||c=3||d=4") == Or(Or(A, B), Or(C, D))
    assert leaves(parse_query("a=1 && b=2 || c=3 && d=4 || a=1")) == [A, B, C, D, A]


@pytest.mark.parametrize(
    "text",
    [
        "{a=1||b=2}&&c=3",
        "(a=1||b=2)&&c=3",
        " { a=1 || b=2 } && c=3 ",
        "{(a=1)||{b=2}}&&(c=3)",
        "{{{a=1||b=2}}}&&{c=3}",
        "({a=1||b=2})&&c=3",
    ],
)
def test_braces_and_parentheses_group(text: str) -> None:
    assert parse_query(text) == And(Or(A, B), C)


def test_grouping_on_the_right() -> None:
    assert parse_query("c=3&&{a=1||b=2}") == And(C, Or(A, B))
    assert parse_query("a=1||{b=2||c=3}") == Or(A, Or(B, C))
    assert parse_query("{a=1&&b=2}||{c=3&&d=4}") == Or(And(A, B), And(C, D))


def test_codat_documentation_example() -> None:
    assert parse_query("{totalAmount > 100 || totalAmount < 50} && status != paid") == And(
        Or(Comparison("totalAmount", Op.GT, "100"), Comparison("totalAmount", Op.LT, "50")),
        Comparison("status", Op.NE, "paid"),
    )


def test_value_brackets_do_not_close_groups() -> None:
    assert parse_query("{name=Acme (UK)||b=2}") == Or(eq("name", "Acme (UK)"), B)
    assert parse_query("(name=Acme {UK})") == eq("name", "Acme {UK}")
    assert parse_query("{name=a(b}") == eq("name", "a(b")


# -- malformed queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\t\n",
        "name",
        "name ",
        "name=",
        "name=  ",
        "name= && b=2",
        "=a",
        " = a",
        "!=a",
        "name==a",
        "name===a",
        "name!==a",
        "name=>a",
        "name=<a",
        "name<>a",
        "name=~a",
        "name!a",
        "name ! = a",
        "name^a",
        "name:a",
        "a=1&&",
        "a=1 &&   ",
        "&&a=1",
        "a=1||",
        "||a=1",
        "a=1&&&&b=2",
        "a=1||||b=2",
        "a=1&&||b=2",
        "a=1&b=2&&",
        "{a=1",
        "{a=1||b=2",
        "a=1}",
        "(a=1",
        "a=1)",
        "a=1)&&b=2",
        "{a=1)",
        "(a=1}",
        "{a=1}}",
        "{{a=1}",
        "{}",
        "()",
        "{ }",
        "{a=1}b=2",
        "{a=1}{b=2}",
        "{a=1} c",
        "a=''",
        'a=""',
        "a='open",
        'a="open',
        "a='x\\'",
        "a='x'b",
        "a='x' 'y'",
        "a='x'=y",
        "1a=2",
        "9=9",
        ".a=1",
        "a.=1",
        "a..b=1",
        "a b=1",
        "-a=1",
        "a-b=1",
        "é=1",
        "a=1 b=2 &&",
        "&&",
        "||",
        "{",
        "}",
        "'a'=1",
        "a=x\x00y",
        "a=\ud800",
    ],
)
def test_malformed_queries(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_query(text)


def test_syntax_errors_are_value_errors_with_a_short_reason() -> None:
    with pytest.raises(ValueError, match=r"^expected a value at position 5$"):
        parse_query("name=")
    with pytest.raises(QuerySyntaxError, match="position 3"):
        parse_query("a=1)")
    with pytest.raises(QuerySyntaxError, match="unterminated"):
        parse_query("a='x")
    with pytest.raises(QuerySyntaxError, match="empty query"):
        parse_query("  ")
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("a=1&&")
    assert len(str(caught.value)) < 80


# -- limits -----------------------------------------------------------------------------------


def test_query_length_is_capped() -> None:
    head = "name="
    assert parse_query(head + "x" * (MAX_QUERY_LENGTH - len(head))) == eq(
        "name", "x" * (MAX_QUERY_LENGTH - len(head))
    )
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse_query(head + "x" * (MAX_QUERY_LENGTH - len(head) + 1))


def test_nesting_depth_is_capped() -> None:
    for opener, closer in ("{}", "()"):
        assert parse_query(opener * MAX_DEPTH + "a=1" + closer * MAX_DEPTH) == A
        with pytest.raises(QuerySyntaxError, match="nested"):
            parse_query(opener * (MAX_DEPTH + 1) + "a=1" + closer * (MAX_DEPTH + 1))
    # Depth is how deep groups nest, not how many there are.
    assert len(leaves(parse_query("&&".join(["{{a=1}}"] * 200)))) == 200


def test_hostile_nesting_fails_cleanly() -> None:
    for text in ("{" * 1999, "(" * 1000 + ")" * 1000, "{a=1||" * 300):
        with pytest.raises(QuerySyntaxError):
            parse_query(text[:MAX_QUERY_LENGTH])


@pytest.mark.parametrize("joiner", ["&&", "||"])
def test_longest_chains_make_shallow_trees(joiner: str) -> None:
    count = (MAX_QUERY_LENGTH + len(joiner)) // (len("a=1") + len(joiner))
    text = joiner.join(["a=1"] * count)
    assert len(text) <= MAX_QUERY_LENGTH
    parsed = parse_query(text)
    assert len(leaves(parsed)) == count
    assert depth(parsed) <= count.bit_length()
    # Comparing, hashing and printing a maximal query must not exhaust the stack.
    assert parsed == parse_query(text)
    assert hash(parsed) == hash(parse_query(text))
    assert repr(parsed).count("Comparison(") == count


def test_mixed_chains_make_shallow_trees() -> None:
    text = "||".join(["a=1&&b=2"] * 180)
    parsed = parse_query(text)
    assert len(leaves(parsed)) == 360
    assert depth(parsed) <= (180).bit_length() + 1


# -- the AST ----------------------------------------------------------------------------------


def test_nodes_are_immutable_and_hashable() -> None:
    parsed = parse_query("a=1&&{b=2||c=3}")
    assert isinstance(parsed, And)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.left = A  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        A.value = "2"  # type: ignore[misc]
    assert {parsed, parse_query("a = 1 && ( b = 2 || c = 3 )")} == {parsed}
    assert parse_query("a=1&&b=2") != parse_query("a=1||b=2")


def test_values_stay_strings() -> None:
    for text in ("a=1", "a=true", "a=2024-01-01", "a=1.50"):
        parsed = parse_query(text)
        assert isinstance(parsed, Comparison)
        assert isinstance(parsed.value, str)
        assert parsed.value == text[2:]


# -- properties -------------------------------------------------------------------------------

QUERY_ALPHABET = "ab.=!<>~&|{}()'\" \\1_-é"


@settings(max_examples=300)
@given(st.text(max_size=80) | st.text(alphabet=QUERY_ALPHABET, max_size=40))
def test_arbitrary_text_parses_or_raises_only_syntax_errors(text: str) -> None:
    try:
        parsed: Expr | None = parse_query(text)
    except QuerySyntaxError as exc:
        parsed, reason = None, str(exc)
    assert isinstance(parsed, Comparison | And | Or) or reason


names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,6}(\.[A-Za-z_][A-Za-z0-9_]{0,6}){0,2}\Z")
values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=12,
)
comparisons = st.builds(Comparison, names, st.sampled_from(list(Op)), values)
expressions: st.SearchStrategy[Expr] = st.recursive(
    comparisons,
    lambda children: st.builds(And, children, children) | st.builds(Or, children, children),
    max_leaves=10,
)

_NEEDS_QUOTES = re.compile(r"&&|\|\||[{}()]")


def render_value(value: str, draw: st.DrawFn) -> str:
    bare_is_safe = (
        value.strip() == value
        and value[0] not in "'\"=!<>~"
        and value[-1] not in "&|"  # would run into the next && or ||
        and _NEEDS_QUOTES.search(value) is None
    )
    if bare_is_safe and draw(st.booleans()):
        return value
    quote = draw(st.sampled_from("'\""))
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return quote + escaped + quote


@st.composite
def rendered(draw: st.DrawFn, expr: Expr, parent: type[And] | type[Or] | None = None) -> str:
    """`expr` as query text, bracketed only where precedence needs it (and at random besides),
    with random spacing and quoting."""
    space = st.sampled_from(["", " ", "  ", "\t", " \n "])
    if isinstance(expr, Comparison):
        return (
            draw(space)
            + expr.property
            + draw(space)
            + expr.op.value
            + draw(space)
            + render_value(expr.value, draw)
            + draw(space)
        )
    joiner = "&&" if isinstance(expr, And) else "||"
    body = draw(rendered(expr.left, type(expr))) + joiner + draw(rendered(expr.right, type(expr)))
    if (parent is And and isinstance(expr, Or)) or draw(st.integers(0, 4)) == 0:
        opener, closer = draw(st.sampled_from([("{", "}"), ("(", ")")]))
        return draw(space) + opener + body + closer + draw(space)
    return body


def fully_bracketed(expr: Expr) -> str:
    if isinstance(expr, Comparison):
        escaped = expr.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{expr.property}{expr.op.value}"{escaped}"'
    joiner = "&&" if isinstance(expr, And) else "||"
    return "{" + fully_bracketed(expr.left) + joiner + fully_bracketed(expr.right) + "}"


@settings(max_examples=300)
@given(expressions)
def test_fully_bracketed_rendering_round_trips_exactly(expr: Expr) -> None:
    text = fully_bracketed(expr)
    if len(text) <= MAX_QUERY_LENGTH:
        assert parse_query(text) == expr


@settings(max_examples=300)
@given(st.data(), expressions)
def test_minimal_rendering_round_trips_up_to_associativity(data: st.DataObject, expr: Expr) -> None:
    text = data.draw(rendered(expr))
    if len(text) <= MAX_QUERY_LENGTH:
        assert shape(parse_query(text)) == shape(expr)


def test_shape_helper_distinguishes_precedence() -> None:
    # Guards the property test above: its notion of sameness must not ignore grouping.
    assert shape(Or(A, And(B, C))) != shape(And(Or(A, B), C))
    assert shape(And(And(A, B), C)) == shape(And(A, And(B, C)))
