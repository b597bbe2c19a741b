"""Money, minor units, rounding, parsing and conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spendsync.ledger import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    convert,
    decimal_places,
    minor_units,
    quantize,
    to_decimal,
)


def gbp(value: str) -> Money:
    return Money(Decimal(value), "GBP")


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("GBP", 2),
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
        ("XYZ", 2),
    ],
)
def test_minor_units(currency: str, places: int) -> None:
    assert minor_units(currency) == places


@pytest.mark.parametrize("code", ["gbp", "GB", "GBPX", "G1P", "", "ÄBC"])
def test_invalid_currency_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(Decimal(1), code)
    with pytest.raises(ValueError, match="ISO 4217"):
        minor_units(code)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "GBP", "2.35"),  # half up, not half even
        ("2.355", "GBP", "2.36"),
        ("2.344", "GBP", "2.34"),
        ("-2.345", "GBP", "-2.35"),  # symmetric: away from zero
        ("0.5", "JPY", "1"),
        ("2.5", "JPY", "3"),  # banker's rounding would give 2
        ("1.0005", "KWD", "1.001"),
        ("100", "GBP", "100.00"),
        ("-0.004", "GBP", "0.00"),
        ("4999999.995", "GBP", "5000000.00"),
    ],
)
def test_quantize_rounds_half_up(amount: str, currency: str, expected: str) -> None:
    result = quantize(Decimal(amount), currency)
    assert result == Decimal(expected)
    assert str(result) == expected  # the exponent is the currency's too


def test_quantize_refuses_nan() -> None:
    with pytest.raises(InvalidAmount):
        quantize(Decimal("NaN"), "GBP")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),
        (1.1 + 2.2, "3.3000000000000003"),  # the float itself, exactly as JSON would print it
        (19.99, "19.99"),
        (100, "100"),
        ("0.10", "0.10"),
        (" 12.5 ", "12.5"),
        ("-3", "-3"),
        ("1e2", "100"),
        (Decimal("7.25"), "7.25"),
    ],
)
def test_to_decimal_is_exact(value: object, expected: str) -> None:
    assert to_decimal(value) == Decimal(expected)


def test_to_decimal_does_not_carry_binary_float_error() -> None:
    assert to_decimal(0.1) != Decimal.from_float(0.1)
    assert str(to_decimal(0.1)) == "0.1"


@pytest.mark.parametrize(
    "value", [True, None, "", "abc", "NaN", "Infinity", "1_000", "1,5", float("nan"), float("inf")]
)
def test_to_decimal_refuses_what_is_not_a_finite_number(value: object) -> None:
    with pytest.raises(InvalidAmount):
        to_decimal(value)


def test_arithmetic_within_one_currency() -> None:
    assert gbp("100.00") + gbp("20.00") == gbp("120")
    assert gbp("120") - gbp("20.00") == gbp("100")
    assert -gbp("5") == gbp("-5")
    assert abs(gbp("-5")) == gbp("5")
    assert gbp("2.50") * 3 == gbp("7.50")
    assert Decimal(2) * gbp("1.25") == gbp("2.5")
    assert gbp("1") < gbp("2") <= gbp("2")
    assert gbp("3") > gbp("2") >= gbp("2")
    assert Money.zero("JPY").is_zero()
    assert Money.of("19.99", "USD") == Money(Decimal("19.99"), "USD")
    assert gbp("1.005").quantized() == gbp("1.01")


def test_arithmetic_across_currencies_raises() -> None:
    usd = Money(Decimal(1), "USD")
    with pytest.raises(CurrencyMismatch):
        _ = gbp("1") + usd
    with pytest.raises(CurrencyMismatch):
        _ = gbp("1") - usd
    with pytest.raises(CurrencyMismatch):
        _ = gbp("1") < usd


def test_money_refuses_floats_and_nan() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "GBP")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        Money(Decimal("NaN"), "GBP")


@pytest.mark.parametrize(
    ("amount", "currency", "rate", "to", "expected"),
    [
        # Codat's own examples for currencyRate (base = foreign x rate).
        ("20", "USD", "0.781", "GBP", "15.62"),
        ("20", "EUR", "0.885", "GBP", "17.70"),
        ("20", "RUB", "0.011", "GBP", "0.22"),
        ("20", "GBP", "1.277", "USD", "25.54"),
        ("20", "EUR", "1.134", "USD", "22.68"),
        ("20", "RUB", "0.015", "USD", "0.30"),
        # Into and out of currencies without cents.
        ("12.34", "USD", "151.2", "JPY", "1866"),
        ("12345", "JPY", "0.0052", "GBP", "64.19"),
        ("10.005", "KWD", "1", "KWD", "10.005"),
        ("0.01", "USD", "0.5", "GBP", "0.01"),  # 0.005 rounds half up
    ],
)
def test_convert(amount: str, currency: str, rate: str, to: str, expected: str) -> None:
    result = convert(Money(Decimal(amount), currency), Decimal(rate), to)
    assert result == Money(Decimal(expected), to)
    assert str(result.amount) == expected


def test_convert_is_exact_before_its_single_rounding() -> None:
    # 28 significant digits of rate would round the product to ...005 and then up; exact gives down.
    rate = Decimal("0.4999999999999999999999999999999")
    assert convert(gbp("0.01"), rate, "GBP") == gbp("0.00")


@pytest.mark.parametrize("rate", ["0", "-1"])
def test_convert_refuses_non_positive_rates(rate: str) -> None:
    with pytest.raises(ValueError, match="above 0"):
        convert(gbp("1"), Decimal(rate), "USD")


@pytest.mark.parametrize(
    ("amount", "places"),
    [
        ("12.50", 1),
        ("12", 0),
        ("1E+2", 0),
        ("0.005", 3),
        ("0.000", 0),
        ("-1.25", 2),
        ("1.2300E-5", 7),
        ("1E+999999999999", 0),  # no context arithmetic, so no overflow
    ],
)
def test_decimal_places(amount: str, places: int) -> None:
    assert decimal_places(Decimal(amount)) == places
