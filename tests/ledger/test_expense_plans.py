"""Posting plans of card expenses (Payment, Refund, Reward, Chargeback), with concrete numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from spendsync.ledger import (
    AccountRole,
    BalanceBasis,
    Counterparty,
    Direction,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvalidTransaction,
    InvoiceTo,
    Money,
    PlanKind,
    Posting,
    PostingKind,
    PostingPlan,
    TrackingRef,
    plan_expense,
)

DEBIT, CREDIT = Direction.DEBIT, Direction.CREDIT
DAY = date(2024, 5, 21)


def gbp(value: str) -> Money:
    return Money(Decimal(value), "GBP")


def expense(
    kind: ExpenseKind = ExpenseKind.PAYMENT,
    lines: tuple[ExpenseLine, ...] | None = None,
    currency: str = "GBP",
    rate: str | None = None,
    bank: str | None = "090",
    **extra: object,
) -> Expense:
    return Expense(
        id="a44135b0-6882-489a-83fe-a0c57a4afb19",
        kind=kind,
        issue_date=DAY,
        currency=currency,
        currency_rate=None if rate is None else Decimal(rate),
        bank_account_id=bank,
        lines=lines
        if lines is not None
        else (ExpenseLine(Decimal(100), Decimal(20), "429", "INPUT2"),),
        **extra,  # type: ignore[arg-type]
    )


def shape(plan: PostingPlan) -> list[tuple[PostingKind, object, Direction, Money, Money | None]]:
    return [(p.kind, p.account, p.direction, p.amount, p.base_amount) for p in plan.postings]


def test_payment_of_120_pounds_with_20_vat_on_a_card() -> None:
    plan = plan_expense(
        expense(merchant_name="Amazon UK", notes="amazon purchase", reference="R-1"), "GBP"
    )

    assert shape(plan) == [
        (PostingKind.LINE, "429", DEBIT, gbp("100.00"), gbp("100.00")),
        (PostingKind.TAX, AccountRole.TAX, DEBIT, gbp("20.00"), gbp("20.00")),
        (PostingKind.BANK, "090", CREDIT, gbp("120.00"), gbp("120.00")),
    ]
    line, tax, _ = plan.postings
    assert line.line_tax == gbp("20.00")
    assert line.tax_rate_id == tax.tax_rate_id == "INPUT2"
    assert line.line_index == 0
    assert tax.line_index is None
    assert tax.source_lines == (0,)
    assert plan.kind is PlanKind.PAYMENT
    assert plan.total == gbp("120.00") == plan.base_total
    assert plan.rate == 1
    assert plan.base_currency == "GBP"
    assert plan.balanced_in is BalanceBasis.TRANSACTION
    assert plan.debit_total() == plan.credit_total() == gbp("120")
    assert plan.is_balanced()
    assert (plan.merchant_name, plan.memo, plan.reference, plan.date) == (
        "Amazon UK",
        "amazon purchase",
        "R-1",
        DAY,
    )
    assert str(line.amount.amount) == "100.00"  # amounts come out at the currency's precision


def test_refund_reverses_the_payment() -> None:
    plan = plan_expense(expense(ExpenseKind.REFUND), "GBP")
    assert [(p.kind, p.direction, p.amount) for p in plan.postings] == [
        (PostingKind.LINE, CREDIT, gbp("100")),
        (PostingKind.TAX, CREDIT, gbp("20")),
        (PostingKind.BANK, DEBIT, gbp("120")),
    ]
    assert plan.kind is PlanKind.REFUND


def test_reward_credits_the_income_line_and_debits_the_card() -> None:
    cashback = (ExpenseLine(Decimal("5.00"), Decimal(0), "260", "NONE"),)
    plan = plan_expense(expense(ExpenseKind.REWARD, cashback), "GBP")
    assert shape(plan) == [
        (PostingKind.LINE, "260", CREDIT, gbp("5"), gbp("5")),
        (PostingKind.BANK, "090", DEBIT, gbp("5"), gbp("5")),
    ]  # no tax posting for a zero tax
    assert plan.postings[0].tax_rate_id == "NONE"  # per-line tax ledgers still get the rate
    assert plan.postings[0].line_tax == gbp("0")


def test_chargeback_debits_the_card_and_credits_the_lines() -> None:
    plan = plan_expense(expense(ExpenseKind.CHARGEBACK), "GBP")
    assert [p.direction for p in plan.of_kind(PostingKind.BANK)] == [DEBIT]
    assert {p.direction for p in plan.postings if p.kind is not PostingKind.BANK} == {CREDIT}
    assert plan.total == gbp("120")


def test_tax_is_posted_once_per_rate_and_kept_per_line() -> None:
    lines = (
        ExpenseLine(Decimal("10.00"), Decimal("2.00"), "429", "INPUT2"),
        ExpenseLine(Decimal("40.00"), Decimal("2.00"), "425", "RRINPUT"),
        ExpenseLine(Decimal("25.50"), Decimal("5.10"), "429", "INPUT2"),
        ExpenseLine(Decimal("3.00"), Decimal(0), "400", "ZERORATEDINPUT"),
    )
    plan = plan_expense(expense(lines=lines), "GBP")

    taxes = plan.of_kind(PostingKind.TAX)
    assert [(t.tax_rate_id, t.amount, t.source_lines) for t in taxes] == [
        ("INPUT2", gbp("7.10"), (0, 2)),
        ("RRINPUT", gbp("2.00"), (1,)),
    ]
    assert [p.line_tax for p in plan.of_kind(PostingKind.LINE)] == [
        gbp("2"),
        gbp("2"),
        gbp("5.10"),
        gbp("0"),
    ]
    assert plan.of_kind(PostingKind.BANK)[0].amount == gbp("87.60")
    assert plan.total == gbp("87.60")


def test_line_details_travel_to_the_posting() -> None:
    line = ExpenseLine(
        Decimal(50),
        Decimal(0),
        account_id=None,
        item_id="80000002-1675158984",
        tracking=(TrackingRef("DEPARTMENT_3"),),
        invoice_to=InvoiceTo("504"),
    )
    plan = plan_expense(expense(lines=(line,), bank=None, contact_id="430"), "GBP")
    posting = plan.postings[0]
    assert posting.account is AccountRole.ITEM
    assert posting.item_id == "80000002-1675158984"
    assert posting.tracking == (TrackingRef("DEPARTMENT_3"),)
    assert posting.invoice_to == InvoiceTo("504")
    assert plan.postings[-1].account is AccountRole.BANK  # resolved from the configuration
    assert plan.counterparty == Counterparty("430", "Supplier")


def test_customer_counterparty_and_draft_flag() -> None:
    plan = plan_expense(
        expense(ExpenseKind.REFUND, contact_id="C1", contact_type="Customer", post_as_draft=True),
        "GBP",
    )
    assert plan.counterparty == Counterparty("C1", "Customer")
    assert plan.post_as_draft
    assert plan_expense(expense(), "GBP").counterparty is None


def test_usd_card_spend_in_a_gbp_company() -> None:
    lines = (ExpenseLine(Decimal("20.00"), Decimal(0), "429"),)
    plan = plan_expense(expense(lines=lines, currency="USD", rate="0.781"), "GBP")
    usd = Money(Decimal("20.00"), "USD")
    assert shape(plan) == [
        (PostingKind.LINE, "429", DEBIT, usd, gbp("15.62")),
        (PostingKind.BANK, "090", CREDIT, usd, gbp("15.62")),
    ]
    assert plan.currency == "USD"
    assert plan.rate == Decimal("0.781")
    assert plan.base_total == gbp("15.62")


def test_rounding_residual_goes_to_the_largest_posting() -> None:
    # At 0.5 each line's base is x.xx5 and rounds up; the total 60.03 x 0.5 = 30.015 -> 30.02.
    lines = (
        ExpenseLine(Decimal("10.01"), Decimal(0), "A"),
        ExpenseLine(Decimal("30.01"), Decimal(0), "B"),
        ExpenseLine(Decimal("20.01"), Decimal(0), "C"),
    )
    plan = plan_expense(expense(lines=lines, currency="USD", rate="0.5"), "GBP")
    assert [p.base_amount for p in plan.postings] == [
        gbp("5.01"),
        gbp("15.00"),  # 15.01 less the 0.01 residual: the largest line takes it
        gbp("10.01"),
        gbp("30.02"),  # the card side is round(total x rate), as the statement shows
    ]
    assert plan.base_debit_total() == plan.base_credit_total() == gbp("30.02")


def test_residual_with_tax_postings_balances_both_currencies() -> None:
    lines = (
        ExpenseLine(Decimal("33.33"), Decimal("6.67"), "400", "T20"),
        ExpenseLine(Decimal("33.33"), Decimal("6.67"), "401", "T20"),
        ExpenseLine(Decimal("20.00"), Decimal("0"), "402", "NONE"),
    )
    plan = plan_expense(expense(lines=lines, currency="USD", rate="0.781"), "GBP")
    assert plan.debit_total() == plan.credit_total() == Money(Decimal(100), "USD")
    assert plan.base_debit_total() == plan.base_credit_total() == gbp("78.10")
    assert plan.is_balanced()


def test_jpy_spend_in_a_gbp_company() -> None:
    lines = (
        ExpenseLine(Decimal("10000"), Decimal("1000"), "429", "JP10"),
        ExpenseLine(Decimal("1345"), Decimal("0"), "430"),
    )
    plan = plan_expense(expense(lines=lines, currency="JPY", rate="0.0052"), "GBP")
    yen = {p.kind: p.amount for p in plan.postings}
    assert yen[PostingKind.BANK] == Money(Decimal(12345), "JPY")
    assert str(yen[PostingKind.BANK].amount) == "12345"  # no decimals in yen
    assert [p.base_amount for p in plan.postings] == [
        gbp("52.00"),
        gbp("6.99"),
        gbp("5.20"),
        gbp("64.19"),  # 12345 x 0.0052 = 64.194
    ]
    assert plan.is_balanced()


def test_usd_spend_in_a_jpy_company_rounds_to_whole_yen() -> None:
    lines = (ExpenseLine(Decimal("10.00"), Decimal("2.34"), "429", "TX"),)
    plan = plan_expense(expense(lines=lines, currency="USD", rate="151.2"), "JPY")
    yen = [p.base_amount for p in plan.postings]
    # 1512 + 353.808 -> 354; total 12.34 x 151.2 = 1865.808 -> 1866.
    assert yen == [Money(Decimal(v), "JPY") for v in ("1512", "354", "1866")]


def test_residual_too_big_for_the_largest_posting_is_spread() -> None:
    # 100 lines of 1 RUB at 0.015: each is 0.015 -> 0.02 (sum 2.00) but the total is 1.50.
    lines = tuple(ExpenseLine(Decimal(1), Decimal(0), f"A{i}") for i in range(100))
    plan = plan_expense(expense(lines=lines, currency="RUB", rate="0.015"), "GBP")
    bases = [p.base_amount for p in plan.of_kind(PostingKind.LINE)]
    assert bases == [gbp("0.01")] * 50 + [gbp("0.02")] * 50
    assert plan.of_kind(PostingKind.BANK)[0].base_amount == gbp("1.50")
    assert plan.is_balanced()


def test_kwd_keeps_three_decimals() -> None:
    lines = (ExpenseLine(Decimal("10.125"), Decimal("0.500"), "429", "VAT5"),)
    plan = plan_expense(expense(lines=lines, currency="KWD", rate="2.6"), "GBP")
    assert plan.total == Money(Decimal("10.625"), "KWD")
    assert str(plan.total.amount) == "10.625"
    assert plan.base_total == gbp("27.63")  # 27.625 half up


def test_the_sign_never_chooses_the_side() -> None:
    negative = (ExpenseLine(Decimal(-100), Decimal(-20), "429", "INPUT2"),)
    with pytest.raises(InvalidTransaction) as raised:
        plan_expense(expense(lines=negative), "GBP")
    assert [p.item_id for p in raised.value.problems] == [
        "Lines[0].NetAmount",
        "Lines[0].TaxAmount",
    ]


def test_invalid_expense_lists_every_problem() -> None:
    bad = expense(
        lines=(ExpenseLine(Decimal("1.001"), Decimal(0), "429"),), currency="USD", rate=None
    )
    with pytest.raises(InvalidTransaction) as raised:
        plan_expense(bad, "GBP")
    assert {p.item_id for p in raised.value.problems} == {"CurrencyRate", "Lines[0].NetAmount"}
    assert raised.value.transaction_id == bad.id


def test_a_malformed_base_currency_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="base currency"):
        plan_expense(expense(), "gbp")


def test_expense_totals() -> None:
    lines = (
        ExpenseLine(Decimal("100"), Decimal("20"), "A"),
        ExpenseLine(Decimal("0.99"), Decimal("0"), "B"),
    )
    subject = expense(lines=lines)
    assert subject.total == Decimal("120.99")
    assert subject.net_total == Decimal("100.99")
    assert subject.tax_total == Decimal("20")
    assert lines[0].total == Decimal(120)


def test_signed_amounts_read_as_a_journal() -> None:
    plan = plan_expense(expense(), "GBP")
    assert [p.signed_amount for p in plan.postings] == [Decimal(100), Decimal(20), Decimal(-120)]
    assert sum(p.signed_amount for p in plan.postings) == 0


def test_is_balanced_detects_a_broken_plan() -> None:
    plan = plan_expense(expense(), "GBP")
    broken_amount = Posting(PostingKind.BANK, "090", CREDIT, gbp("119.99"), gbp("120"))
    broken_base = Posting(PostingKind.BANK, "090", CREDIT, gbp("120"), gbp("119.99"))
    wrong_base_currency = Posting(
        PostingKind.BANK, "090", CREDIT, gbp("120"), Money(Decimal(120), "USD")
    )
    missing_base = Posting(PostingKind.BANK, "090", CREDIT, gbp("120"), None)
    wrong_currency = Posting(
        PostingKind.BANK, "090", CREDIT, Money(Decimal(120), "USD"), gbp("120")
    )
    for bank in (broken_amount, broken_base, wrong_base_currency, missing_base, wrong_currency):
        tampered = PostingPlan(**{**plan.__dict__, "postings": (*plan.postings[:2], bank)})
        assert not tampered.is_balanced()
