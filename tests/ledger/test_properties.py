"""Properties of the posting rules over generated transactions (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from spendsync.ledger import (
    MAX_AMOUNT,
    AccountRole,
    Adjustment,
    AdjustmentLine,
    Direction,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvalidTransaction,
    Money,
    Posting,
    PostingKind,
    PostingPlan,
    Reimbursable,
    TrackingRef,
    Transfer,
    convert,
    minor_units,
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
    quantize,
    to_decimal,
    validate_adjustment,
    validate_expense,
)

CURRENCIES = ["GBP", "USD", "EUR", "JPY", "KRW", "KWD", "BHD", "CHF"]
DAY = date(2024, 5, 21)
LINE_SIDE = {
    ExpenseKind.PAYMENT: Direction.DEBIT,
    ExpenseKind.REFUND: Direction.CREDIT,
    ExpenseKind.REWARD: Direction.CREDIT,
    ExpenseKind.CHARGEBACK: Direction.CREDIT,
}

currencies = st.sampled_from(CURRENCIES)
# Rates with up to 9 decimals (Codat's precision), from 0.000001 to 10,000.
rates = st.integers(min_value=1_000, max_value=10**13).map(lambda n: Decimal(n).scaleb(-9))


def amounts(currency: str, maximum: Decimal = MAX_AMOUNT) -> st.SearchStrategy[Decimal]:
    """Valid amounts in the currency's minor units, mostly small, sometimes up to the limit."""
    places = minor_units(currency)
    top = int(maximum.scaleb(places))
    units = st.one_of(
        st.integers(0, 10**places * 1_000), st.integers(0, top), st.sampled_from([0, 1, top])
    )
    return units.map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def rate_for(draw: st.DrawFn, currency: str, base: str) -> Decimal | None:
    if currency == base:
        return draw(st.sampled_from([None, Decimal(1)]))
    return draw(rates)


@st.composite
def expense_lines(draw: st.DrawFn, currency: str) -> tuple[ExpenseLine, ...]:
    if draw(st.integers(0, 4)) == 0:
        # Many tiny lines: the residual can then outgrow the largest line's base amount.
        unit = Decimal(1).scaleb(-minor_units(currency))
        tiny = st.integers(0, 3).map(lambda n: unit * n)
        return tuple(
            ExpenseLine(net=net, account_id="400")
            for net in draw(st.lists(tiny, min_size=20, max_size=100))
        )
    count = draw(st.integers(1, 12))
    ceiling = MAX_AMOUNT / count
    return tuple(
        ExpenseLine(
            net=draw(amounts(currency, ceiling)),
            tax=draw(st.one_of(st.just(Decimal(0)), amounts(currency, ceiling))),
            account_id=draw(st.sampled_from(["400", "429", "460", "260"])),
            tax_rate_id=draw(st.sampled_from([None, "INPUT2", "RRINPUT", "NONE"])),
            tracking=tuple(TrackingRef(f"T{n}") for n in range(draw(st.integers(0, 3)))),
        )
        for _ in range(count)
    )


@st.composite
def expenses(draw: st.DrawFn) -> tuple[Expense, str]:
    currency, base = draw(currencies), draw(currencies)
    expense = Expense(
        id="e-1",
        kind=draw(st.sampled_from(list(ExpenseKind))),
        issue_date=DAY,
        currency=currency,
        currency_rate=draw(rate_for(currency, base)),
        bank_account_id=draw(st.sampled_from([None, "090"])),
        lines=draw(expense_lines(currency)),
    )
    return expense, base


@st.composite
def reimbursables(draw: st.DrawFn) -> tuple[Reimbursable, str]:
    currency, base = draw(currencies), draw(currencies)
    reimbursable = Reimbursable(
        id="r-1",
        contact_id="EMP",
        issue_date=DAY,
        due_date=DAY,
        currency=currency,
        currency_rate=draw(rate_for(currency, base)),
        lines=draw(expense_lines(currency)),
    )
    return reimbursable, base


@st.composite
def adjustments(draw: st.DrawFn) -> tuple[Adjustment, str]:
    currency, base = draw(currencies), draw(currencies)
    half = MAX_AMOUNT / 2
    debits = draw(st.lists(amounts(currency, half / 6), min_size=1, max_size=6))
    credits = draw(st.lists(amounts(currency, half / 6), min_size=0, max_size=5))
    balance = sum(debits, Decimal(0)) - sum(credits, Decimal(0))
    signed = [*debits, *(-c for c in credits), -balance]
    order = draw(st.permutations(range(len(signed))))
    lines = tuple(AdjustmentLine(signed[i], f"ACC-{i % 3}") for i in order)
    adjustment = Adjustment(
        id="adj",
        date=DAY,
        currency=currency,
        lines=lines,
        currency_rate=draw(rate_for(currency, base)),
    )
    return adjustment, base


@st.composite
def transfers(draw: st.DrawFn) -> tuple[Transfer, str]:
    base = draw(currencies)
    source_currency, target_currency = draw(currencies), draw(currencies)
    if source_currency != target_currency and base not in (source_currency, target_currency):
        base = draw(st.sampled_from([source_currency, target_currency]))
    source = draw(amounts(source_currency).filter(lambda a: a > 0))
    if source_currency == target_currency:
        target = source
    else:
        target = draw(amounts(target_currency).filter(lambda a: a > 0))
    transfer = Transfer(
        id="t-1",
        date=DAY,
        from_account_id="A",
        from_amount=Money(source, source_currency),
        to_account_id="B",
        to_amount=Money(target, target_currency),
    )
    return transfer, base


def side(plan: PostingPlan, direction: Direction) -> list[Posting]:
    return [p for p in plan.postings if p.direction is direction]


def assert_balanced_in_both_currencies(plan: PostingPlan) -> None:
    assert plan.is_balanced()
    assert plan.debit_total() == plan.credit_total() == plan.total
    assert all(p.amount.amount >= 0 and p.amount.currency == plan.currency for p in plan.postings)
    assert plan.rate is not None
    expected_base = convert(plan.total, plan.rate, plan.base_currency)
    assert plan.base_debit_total() == plan.base_credit_total() == expected_base == plan.base_total


def assert_residual_rule(plan: PostingPlan) -> None:
    """Each side's residual is at most half a unit per posting (+ half for the total), lands on
    the side's largest posting - or, only when that posting cannot absorb it, is spread one unit
    at a time - and never makes a base amount negative."""
    assert plan.rate is not None
    unit = Decimal(1).scaleb(-minor_units(plan.base_currency))
    for direction in Direction:
        postings = side(plan, direction)
        if not postings:
            continue
        rounded = [convert(p.amount, plan.rate, plan.base_currency).amount for p in postings]
        bases = [p.base_amount.amount for p in postings if p.base_amount is not None]
        assert len(bases) == len(postings)
        assert all(b >= 0 for b in bases)
        residual = sum(bases, Decimal(0)) - sum(rounded, Decimal(0))
        assert abs(residual) <= unit * (len(postings) + 1) / 2
        moved = [b - r for b, r in zip(bases, rounded, strict=True)]
        largest = max(range(len(postings)), key=lambda i: (postings[i].amount.amount, -i))
        if all(d == 0 for i, d in enumerate(moved) if i != largest):
            assert moved[largest] == residual
        else:  # spread: the largest alone could not take it
            assert rounded[largest] + residual < 0
            assert all(abs(d) <= unit for d in moved)


@given(expenses())
def test_expense_plans_balance_in_both_currencies(case: tuple[Expense, str]) -> None:
    expense, base = case
    plan = plan_expense(expense, base)
    assert plan.total == Money(quantize(expense.total, expense.currency), expense.currency)
    assert_balanced_in_both_currencies(plan)
    assert_residual_rule(plan)
    # The single bank posting is exactly round(total x rate).
    (bank,) = plan.of_kind(PostingKind.BANK)
    assert bank.base_amount == plan.base_total


@given(expenses())
def test_the_kind_alone_gives_the_direction(case: tuple[Expense, str]) -> None:
    expense, base = case
    plan = plan_expense(expense, base)
    line_side = LINE_SIDE[expense.kind]
    for posting in plan.postings:
        expected = line_side if posting.kind is not PostingKind.BANK else line_side.opposite
        assert posting.direction is expected


def sides(plan: PostingPlan) -> list[tuple[PostingKind, object, int | None, str | None, Direction]]:
    return [(p.kind, p.account, p.line_index, p.tax_rate_id, p.direction) for p in plan.postings]


@given(expenses(), st.integers(2, 1000))
def test_scaling_amounts_never_flips_a_side(case: tuple[Expense, str], factor: int) -> None:
    expense, base = case
    scaled = replace(
        expense,
        lines=tuple(
            replace(line, net=line.net * factor, tax=line.tax * factor) for line in expense.lines
        ),
    )
    assume(all(line.net <= MAX_AMOUNT and line.tax <= MAX_AMOUNT for line in scaled.lines))
    assert sides(plan_expense(scaled, base)) == sides(plan_expense(expense, base))


@given(reimbursables())
def test_reimbursable_plans_balance_in_both_currencies(case: tuple[Reimbursable, str]) -> None:
    reimbursable, base = case
    plan = plan_reimbursable(reimbursable, base)
    assert_balanced_in_both_currencies(plan)
    assert_residual_rule(plan)
    (payable,) = plan.of_kind(PostingKind.PAYABLE)
    assert payable.direction is Direction.CREDIT
    assert payable.account is AccountRole.ACCOUNTS_PAYABLE
    assert {p.direction for p in plan.postings if p is not payable} <= {Direction.DEBIT}


@given(adjustments())
def test_adjustment_plans_balance_in_both_currencies(case: tuple[Adjustment, str]) -> None:
    adjustment, base = case
    assert validate_adjustment(adjustment, base) == []
    plan = plan_adjustment(adjustment, base)
    assert_balanced_in_both_currencies(plan)
    assert_residual_rule(plan)
    for posting, line in zip(plan.postings, adjustment.lines, strict=True):
        assert posting.signed_amount == line.amount


@given(transfers())
def test_transfer_plans_balance(case: tuple[Transfer, str]) -> None:
    transfer, base = case
    plan = plan_transfer(transfer, base)
    assert plan.is_balanced()
    to, source = plan.postings
    assert (to.direction, to.amount, to.account) == (Direction.DEBIT, transfer.to_amount, "B")
    assert (source.direction, source.amount, source.account) == (
        Direction.CREDIT,
        transfer.from_amount,
        "A",
    )
    if base in (transfer.from_amount.currency, transfer.to_amount.currency):
        assert to.base_amount is not None
        assert source.base_amount is not None
        assert to.base_amount == source.base_amount == plan.base_total
        base_side = (
            transfer.from_amount if transfer.from_amount.currency == base else transfer.to_amount
        )
        assert plan.base_total == base_side
    else:
        assert to.base_amount is None
        assert source.base_amount is None


# --- invalid input: problems, never exceptions --------------------------------------------------

wild_decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-10, max_value=6_000_000, places=4),
    st.sampled_from([Decimal("-0"), Decimal("5000000"), Decimal("5000000.01"), Decimal("sNaN")]),
)
wild_currencies = st.one_of(currencies, st.text(max_size=4))
wild_ids = st.one_of(st.none(), st.sampled_from(["", " ", "A"]))

wild_lines = st.builds(
    ExpenseLine,
    net=wild_decimals,
    tax=wild_decimals,
    account_id=wild_ids,
    tax_rate_id=wild_ids,
    tracking=st.integers(0, 12).map(lambda n: tuple(TrackingRef(f"T{i}") for i in range(n))),
    item_id=wild_ids,
)


@st.composite
def wild_expenses(draw: st.DrawFn) -> Expense:
    lines = draw(st.lists(wild_lines, max_size=4))
    repeat = draw(st.sampled_from([1, 1, 1, 26]))  # sometimes more than 100 lines
    return Expense(
        id=draw(st.sampled_from(["", "e-1"])),
        kind=draw(st.sampled_from([*ExpenseKind, "Transfer"])),
        issue_date=DAY,
        currency=draw(wild_currencies),
        currency_rate=draw(st.one_of(st.none(), wild_decimals)),
        bank_account_id=draw(wild_ids),
        contact_id=draw(wild_ids),
        lines=tuple(lines) * repeat,
    )


@settings(max_examples=300)
@given(wild_expenses(), currencies)
def test_invalid_expenses_give_problems_not_exceptions(expense: Expense, base: str) -> None:
    problems = validate_expense(expense, base)
    assert all(p.item_id and p.message for p in problems)
    if problems:
        with pytest.raises(InvalidTransaction) as raised:
            plan_expense(expense, base)
        assert list(raised.value.problems) == problems
    else:
        assert plan_expense(expense, base).is_balanced()


@given(
    st.lists(st.tuples(wild_decimals, st.sampled_from(["", "A", "B"])), max_size=5),
    wild_currencies,
    st.one_of(st.none(), wild_decimals),
    currencies,
)
def test_invalid_adjustments_give_problems_not_exceptions(
    lines: list[tuple[Decimal, str]], currency: str, rate: Decimal | None, base: str
) -> None:
    adjustment = Adjustment(
        id="adj",
        date=DAY,
        currency=currency,
        lines=tuple(AdjustmentLine(amount, account) for amount, account in lines),
        currency_rate=rate,
    )
    problems = validate_adjustment(adjustment, base)
    if problems:
        with pytest.raises(InvalidTransaction) as raised:
            plan_adjustment(adjustment, base)
        assert list(raised.value.problems) == problems
    else:
        assert plan_adjustment(adjustment, base).is_balanced()


# --- money --------------------------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_json_floats_round_trip_exactly(value: float) -> None:
    assert float(to_decimal(value)) == value
    assert to_decimal(value) == to_decimal(repr(value))


@given(currencies.flatmap(lambda c: st.tuples(st.just(c), amounts(c))))
def test_rate_one_conversion_is_the_identity(case: tuple[str, Decimal]) -> None:
    currency, amount = case
    money = Money(amount, currency)
    assert convert(money, Decimal(1), currency) == money
    assert quantize(quantize(amount, currency), currency) == amount
