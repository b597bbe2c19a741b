"""Validation: every problem reported, in Codat's itemId style, never an exception."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from spendsync.ledger import (
    Adjustment,
    AdjustmentLine,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvoiceTo,
    Problem,
    Reimbursable,
    TrackingDataType,
    TrackingRef,
    validate_adjustment,
    validate_expense,
    validate_reimbursable,
)

DAY = date(2024, 5, 21)


def line(net: str = "100", tax: str = "20", **extra: object) -> ExpenseLine:
    fields: dict[str, object] = {"account_id": "429", "tax_rate_id": "INPUT2", **extra}
    return ExpenseLine(Decimal(net), Decimal(tax), **fields)  # type: ignore[arg-type]


def expense(*lines: ExpenseLine, currency: str = "GBP", rate: str | None = None) -> Expense:
    return Expense(
        id="e-1",
        kind=ExpenseKind.PAYMENT,
        issue_date=DAY,
        currency=currency,
        currency_rate=None if rate is None else Decimal(rate),
        lines=lines or (line(),),
    )


def ids(problems: list[Problem]) -> list[str]:
    return [problem.item_id for problem in problems]


def test_a_valid_expense_has_no_problems() -> None:
    assert validate_expense(expense(), "GBP") == []
    assert validate_expense(expense(currency="USD", rate="0.781"), "GBP") == []


def test_amount_range_uses_codats_verbatim_message() -> None:
    problems = validate_expense(expense(line(net="-0.01", tax="5000000.01")))
    assert problems == [
        Problem("Lines[0].NetAmount", "The field NetAmount must be between 0 and 5000000."),
        Problem("Lines[0].TaxAmount", "The field TaxAmount must be between 0 and 5000000."),
    ]


@pytest.mark.parametrize("amount", ["0", "5000000", "5000000.00", "0.01"])
def test_amount_bounds_are_inclusive(amount: str) -> None:
    assert validate_expense(expense(line(net=amount, tax="0"))) == []


def test_the_item_id_points_at_the_line() -> None:
    problems = validate_expense(expense(line(), line(), line(net="-1")))
    assert ids(problems) == ["Lines[2].NetAmount"]


@pytest.mark.parametrize(
    ("currency", "amount", "message"),
    [
        ("GBP", "1.005", "The field NetAmount must have at most 2 decimal places in GBP."),
        ("KWD", "1.0005", "The field NetAmount must have at most 3 decimal places in KWD."),
        ("JPY", "100.5", "The field NetAmount must be a whole number: JPY has no decimal places."),
    ],
)
def test_amounts_cannot_have_more_decimals_than_the_currency(
    currency: str, amount: str, message: str
) -> None:
    problems = validate_expense(expense(line(net=amount, tax="0"), currency=currency))
    assert problems == [Problem("Lines[0].NetAmount", message)]


@pytest.mark.parametrize(
    ("currency", "amount"), [("GBP", "1.50"), ("JPY", "100.000"), ("KWD", "1.5")]
)
def test_trailing_zeros_are_not_extra_decimals(currency: str, amount: str) -> None:
    assert validate_expense(expense(line(net=amount, tax="0"), currency=currency)) == []


def test_line_count_limits() -> None:
    none = Expense(id="e", kind=ExpenseKind.PAYMENT, issue_date=DAY, currency="GBP", lines=())
    assert validate_expense(none) == [
        Problem(
            "Lines", "The field Lines must be a string or array type with a minimum length of '1'."
        )
    ]
    assert validate_expense(expense(*[line()] * 100)) == []
    assert validate_expense(expense(*[line()] * 101)) == [
        Problem(
            "Lines",
            "The field Lines must be a string or array type with a maximum length of '100'.",
        )
    ]


def test_at_most_ten_tracking_refs_per_line() -> None:
    refs = tuple(TrackingRef(f"T{i}") for i in range(11))
    assert validate_expense(expense(line(tracking=refs[:10]))) == []
    assert ids(validate_expense(expense(line(tracking=refs)))) == ["Lines[0].TrackingRefs"]


def test_tracking_refs_need_an_id_and_a_known_type() -> None:
    refs = (TrackingRef(""), TrackingRef("S1", TrackingDataType.SUPPLIERS))
    assert ids(validate_expense(expense(line(tracking=refs)))) == [
        "Lines[0].TrackingRefs[0].Id",
        "Lines[0].TrackingRefs[1].DataType",
    ]


@pytest.mark.parametrize("currency", ["gbp", "GB", "POUND", "", "12A"])
def test_currency_must_be_three_capital_letters(currency: str) -> None:
    assert ids(validate_expense(expense(currency=currency))) == ["Currency"]


@pytest.mark.parametrize("rate", ["0", "-0.5", "NaN", "sNaN", "Infinity", "1000000001"])
def test_rate_must_be_above_zero(rate: str) -> None:
    problems = validate_expense(expense(currency="USD", rate=rate))
    assert problems == [
        Problem(
            "CurrencyRate", "The field CurrencyRate must be greater than 0 and at most 1000000000."
        )
    ]


def test_base_currency_rules_for_the_rate() -> None:
    assert validate_expense(expense(rate="1"), "GBP") == []
    assert validate_expense(expense(rate="1.0000"), "GBP") == []
    assert validate_expense(expense(rate="1.1"), "GBP") == [
        Problem(
            "CurrencyRate",
            "GBP is the company's base currency, so CurrencyRate must be empty or 1.",
        )
    ]
    assert validate_expense(expense(currency="USD"), "GBP") == [
        Problem(
            "CurrencyRate",
            "A CurrencyRate is required to convert USD into the company's base currency GBP.",
        )
    ]
    assert validate_expense(expense(currency="USD")) == []  # base currency unknown: not checked


def test_an_account_or_an_item_but_not_both() -> None:
    problems = validate_expense(
        expense(
            line(account_id=None),
            line(account_id="429", item_id="I-1"),
            line(account_id=None, item_id="I-2"),
        )
    )
    assert ids(problems) == ["Lines[0].AccountRef", "Lines[1].ItemRef"]


def test_every_problem_is_reported_at_once() -> None:
    subject = Expense(
        id="",
        kind="Transfer",  # type: ignore[arg-type]
        issue_date=DAY,
        currency="usd",
        currency_rate=Decimal(-1),
        bank_account_id="",
        contact_id="",
        lines=(
            ExpenseLine(Decimal("-1"), Decimal("NaN"), account_id=None),
            ExpenseLine(Decimal("1"), Decimal("0"), account_id="A", invoice_to=InvoiceTo("")),
        ),
    )
    assert ids(validate_expense(subject, "GBP")) == [
        "Id",
        "Type",
        "ContactRef.Id",
        "BankAccountRef.Id",
        "Currency",
        "CurrencyRate",
        "Lines[0].NetAmount",
        "Lines[0].TaxAmount",
        "Lines[0].AccountRef",
        "Lines[1].InvoiceTo.Id",
    ]


def test_non_numbers_are_problems_not_exceptions() -> None:
    weird = ExpenseLine(Decimal("sNaN"), 1.5, "A")  # type: ignore[arg-type]
    assert validate_expense(expense(weird)) == [
        Problem("Lines[0].NetAmount", "The field NetAmount must be a number."),
        Problem("Lines[0].TaxAmount", "The field TaxAmount must be a number."),
    ]


def test_reimbursable_rules() -> None:
    subject = Reimbursable(
        id="r",
        contact_id=" ",
        issue_date=DAY,
        due_date=DAY,
        currency="EUR",
        ap_account_id="",
        lines=(line(net="10.001"),),
    )
    assert ids(validate_reimbursable(subject, "GBP")) == [
        "ContactRef.Id",
        "ApAccountRef.Id",
        "CurrencyRate",
        "Lines[0].NetAmount",
    ]


def test_adjustment_rules() -> None:
    lines = (
        AdjustmentLine(Decimal("-5000000.01"), "A"),
        AdjustmentLine(Decimal("0.001"), ""),
        AdjustmentLine(Decimal("5000000"), "C"),
    )
    problems = validate_adjustment(Adjustment(id="adj", date=DAY, currency="GBP", lines=lines))
    assert problems == [
        Problem("Lines[0].Amount", "The field Amount must be between -5000000 and 5000000."),
        Problem("Lines[1].Amount", "The field Amount must have at most 2 decimal places in GBP."),
        Problem("Lines[1].AccountRef.Id", "The Id field is required."),
        Problem(
            "Lines",
            "The line amounts must add up to zero (debits = credits); they add up to -0.009.",
        ),
    ]
    assert ids(validate_adjustment(Adjustment(id="adj", date=DAY, currency="GBP", lines=()))) == [
        "Lines"
    ]


def test_adjustment_balance_is_summed_exactly() -> None:
    # With 28 significant digits the 0.01 would vanish between the two huge amounts.
    lines = (
        AdjustmentLine(Decimal("1E+40"), "A"),
        AdjustmentLine(Decimal("0.01"), "B"),
        AdjustmentLine(Decimal("-1E+40"), "C"),
    )
    problems = validate_adjustment(Adjustment(id="adj", date=DAY, currency="GBP", lines=lines))
    assert ids(problems) == ["Lines[0].Amount", "Lines[2].Amount", "Lines"]
    assert problems[-1].message.endswith("they add up to 0.01.")
