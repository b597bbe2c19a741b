"""Posting plans of transfers, reimbursable expenses and adjustments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from spendsync.ledger import (
    AccountRole,
    Adjustment,
    AdjustmentLine,
    BalanceBasis,
    Counterparty,
    Direction,
    ExpenseLine,
    InvalidTransaction,
    Money,
    PlanKind,
    PostingKind,
    Reimbursable,
    TrackingDataType,
    TrackingRef,
    Transfer,
    plan_adjustment,
    plan_reimbursable,
    plan_transfer,
)

DEBIT, CREDIT = Direction.DEBIT, Direction.CREDIT
DAY = date(2024, 6, 3)


def money(value: str, currency: str = "GBP") -> Money:
    return Money(Decimal(value), currency)


def transfer(source: Money, target: Money, description: str | None = "Top-up") -> Transfer:
    return Transfer(
        id="t-1",
        date=DAY,
        from_account_id="BANK-1",
        from_amount=source,
        to_account_id="CARD-1",
        to_amount=target,
        description=description,
    )


# --- transfers -----------------------------------------------------------------------------------


def test_transfer_in_the_base_currency() -> None:
    plan = plan_transfer(transfer(money("500"), money("500")), "GBP")
    assert [(p.kind, p.account, p.direction, p.amount, p.base_amount) for p in plan.postings] == [
        (PostingKind.TRANSFER_TO, "CARD-1", DEBIT, money("500.00"), money("500.00")),
        (PostingKind.TRANSFER_FROM, "BANK-1", CREDIT, money("500.00"), money("500.00")),
    ]
    assert plan.kind is PlanKind.TRANSFER
    assert plan.balanced_in is BalanceBasis.TRANSACTION
    assert (plan.currency, plan.rate, plan.total, plan.base_total) == (
        "GBP",
        Decimal(1),
        money("500"),
        money("500"),
    )
    assert plan.memo == "Top-up"
    assert plan.counterparty is None
    assert plan.is_balanced()


def test_cross_currency_transfer_balances_in_base_currency() -> None:
    plan = plan_transfer(transfer(money("1000", "USD"), money("781.00")), "GBP")
    to, source = plan.postings
    assert (to.direction, to.amount, to.base_amount) == (DEBIT, money("781"), money("781"))
    assert (source.direction, source.amount, source.base_amount) == (
        CREDIT,
        money("1000", "USD"),
        money("781"),
    )
    assert plan.balanced_in is BalanceBasis.BASE
    assert plan.currency == "USD"
    assert plan.rate == Decimal("0.781")
    assert plan.total == money("1000", "USD")
    assert plan.base_total == money("781")
    assert plan.base_debit_total() == plan.base_credit_total() == money("781")
    assert plan.is_balanced()


def test_cross_currency_transfer_into_the_foreign_account() -> None:
    plan = plan_transfer(transfer(money("100"), money("12345", "JPY")), "GBP")
    assert [p.base_amount for p in plan.postings] == [money("100"), money("100")]
    assert plan.currency == "JPY"
    assert plan.rate == Decimal("0.008100446")  # 100 / 12345 to 9 decimals
    assert plan.is_balanced()


def test_transfer_between_two_foreign_accounts_of_one_currency_has_no_base() -> None:
    plan = plan_transfer(transfer(money("250", "USD"), money("250", "USD")), "GBP")
    assert [p.base_amount for p in plan.postings] == [None, None]
    assert plan.rate is None
    assert plan.base_total is None
    assert plan.balanced_in is BalanceBasis.TRANSACTION
    assert plan.is_balanced()


@pytest.mark.parametrize(
    ("source", "target", "item_ids"),
    [
        (money("100", "EUR"), money("110", "USD"), ["To.AccountRef.Id"]),
        (money("100"), money("99.99"), ["To.Amount"]),
        (money("0"), money("0"), ["From.Amount", "To.Amount"]),
        (money("-5"), money("-5"), ["From.Amount", "To.Amount"]),
        (money("1.001"), money("1.001"), ["From.Amount", "To.Amount"]),
    ],
)
def test_invalid_transfers(source: Money, target: Money, item_ids: list[str]) -> None:
    with pytest.raises(InvalidTransaction) as raised:
        plan_transfer(transfer(source, target), "GBP")
    assert [p.item_id for p in raised.value.problems] == item_ids


def test_transfer_to_the_same_account_is_refused() -> None:
    same = Transfer(
        id="t",
        date=DAY,
        from_account_id="A",
        from_amount=money("1"),
        to_account_id="A",
        to_amount=money("1"),
    )
    with pytest.raises(InvalidTransaction) as raised:
        plan_transfer(same, "GBP")
    assert [p.message for p in raised.value.problems] == [
        "A transfer needs two different accounts."
    ]


# --- reimbursable expenses ---------------------------------------------------------------------


def reimbursable(ap_account: str | None = None, **extra: object) -> Reimbursable:
    return Reimbursable(
        id="r-1",
        contact_id="EMP-7",
        issue_date=DAY,
        due_date=date(2024, 7, 3),
        currency=str(extra.pop("currency", "GBP")),
        currency_rate=extra.pop("rate", None),  # type: ignore[arg-type]
        ap_account_id=ap_account,
        reference="EXP-2024-06",
        notes="Conference trip",
        lines=(
            ExpenseLine(Decimal(200), Decimal(40), "HOTEL", "INPUT2", description="2-night stay"),
            ExpenseLine(Decimal("35.50"), Decimal(0), "TRAVEL", "ZERO", description="Train"),
        ),
    )


def test_reimbursable_owes_the_employee_through_accounts_payable() -> None:
    plan = plan_reimbursable(reimbursable(), "GBP")
    assert [(p.kind, p.account, p.direction, p.amount) for p in plan.postings] == [
        (PostingKind.LINE, "HOTEL", DEBIT, money("200")),
        (PostingKind.LINE, "TRAVEL", DEBIT, money("35.50")),
        (PostingKind.TAX, AccountRole.TAX, DEBIT, money("40")),
        (PostingKind.PAYABLE, AccountRole.ACCOUNTS_PAYABLE, CREDIT, money("275.50")),
    ]
    assert plan.postings[0].description == "2-night stay"
    assert plan.counterparty == Counterparty("EMP-7", "Supplier")
    assert plan.due_date == date(2024, 7, 3)
    assert plan.date == DAY
    assert plan.kind is PlanKind.REIMBURSABLE
    assert plan.total == plan.base_total == money("275.50")
    assert (plan.reference, plan.memo) == ("EXP-2024-06", "Conference trip")
    assert plan.is_balanced()


def test_reimbursable_with_an_explicit_ap_account_in_euros() -> None:
    plan = plan_reimbursable(
        reimbursable("8000004C-1724173136", currency="EUR", rate=Decimal("0.85")), "GBP"
    )
    payable = plan.of_kind(PostingKind.PAYABLE)[0]
    assert payable.account == "8000004C-1724173136"
    assert payable.amount == money("275.50", "EUR")
    assert payable.base_amount == money("234.18")  # 234.175 half up
    assert plan.base_debit_total() == money("234.18")
    assert plan.is_balanced()


def test_reimbursable_needs_an_employee() -> None:
    subject = Reimbursable(
        id="r",
        contact_id="",
        issue_date=DAY,
        due_date=DAY,
        currency="GBP",
        lines=(ExpenseLine(Decimal(1), account_id="A"),),
    )
    with pytest.raises(InvalidTransaction) as raised:
        plan_reimbursable(subject, "GBP")
    assert [p.item_id for p in raised.value.problems] == ["ContactRef.Id"]


# --- adjustments ---------------------------------------------------------------------------------


def adjustment(*amounts: str, currency: str = "GBP", rate: str | None = None) -> Adjustment:
    return Adjustment(
        id="adj-1",
        date=DAY,
        currency=currency,
        currency_rate=None if rate is None else Decimal(rate),
        reference="FX-06",
        lines=tuple(
            AdjustmentLine(
                Decimal(amount),
                f"ACC-{index}",
                description=f"line {index}",
                tracking=(TrackingRef("SUP-1", TrackingDataType.SUPPLIERS),),
            )
            for index, amount in enumerate(amounts)
        ),
    )


def test_adjustment_posts_each_line_as_given() -> None:
    plan = plan_adjustment(adjustment("50", "-50"), "GBP")
    assert [(p.kind, p.account, p.direction, p.amount, p.line_index) for p in plan.postings] == [
        (PostingKind.JOURNAL, "ACC-0", DEBIT, money("50"), 0),
        (PostingKind.JOURNAL, "ACC-1", CREDIT, money("50"), 1),
    ]
    assert plan.postings[1].description == "line 1"
    assert plan.postings[0].tracking == (TrackingRef("SUP-1", TrackingDataType.SUPPLIERS),)
    assert plan.total == money("50")
    assert plan.reference == "FX-06"
    assert [p.signed_amount for p in plan.postings] == [Decimal(50), Decimal(-50)]
    assert plan.is_balanced()


def test_adjustment_in_foreign_currency_balances_in_both() -> None:
    plan = plan_adjustment(
        adjustment("10.01", "10.01", "-20.02", currency="USD", rate="0.5"), "GBP"
    )
    assert [p.base_amount for p in plan.postings] == [money("5.00"), money("5.01"), money("10.01")]
    assert plan.base_total == money("10.01")
    assert plan.is_balanced()


def test_adjustment_lines_must_add_up_to_zero() -> None:
    with pytest.raises(InvalidTransaction) as raised:
        plan_adjustment(adjustment("50", "-49.99"), "GBP")
    assert [(p.item_id, p.message) for p in raised.value.problems] == [
        ("Lines", "The line amounts must add up to zero (debits = credits); they add up to 0.01.")
    ]
