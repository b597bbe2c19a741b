"""Amounts of money: exact decimals tagged with an ISO 4217 currency code.

Rounding rule (one for the whole product): amounts are rounded to the currency's minor units
with ROUND_HALF_UP, i.e. halves go away from zero (2.345 -> 2.35, -2.345 -> -2.35). This is the
"commercial" rounding that card statements, receipts and the accounting platforms spendsync writes
to use, and Codat's own worked examples agree with it (USD 20 x 0.781 = GBP 15.62). Being
symmetric around zero, it also commutes with negation: rounding never depends on whether an
amount is a debit or a credit.

Every conversion runs in a local decimal context wide enough to hold the exact product, so the
only rounding that ever happens is the single, explicit one to minor units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

__all__ = [
    "CurrencyMismatch",
    "InvalidAmount",
    "Money",
    "convert",
    "decimal_places",
    "is_currency_code",
    "minor_units",
    "quantize",
    "to_decimal",
]

# ISO 4217 currencies whose minor unit is not 2 (everything else, including codes we do not
# know, is treated as having 2 decimals: the overwhelmingly common case).
_MINOR_UNITS: dict[str, int] = {
    # no minor unit
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # thousandths
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # ten-thousandths (units of account)
    "CLF": 4,
    "UYW": 4,
}
_DEFAULT_MINOR_UNITS = 2

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# What a JSON number looks like (also accepted inside a JSON string).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class CurrencyMismatch(ValueError):
    """Arithmetic or comparison between amounts in two different currencies."""


class InvalidAmount(ValueError):
    """A value that is not a finite decimal number."""


def is_currency_code(code: object) -> bool:
    """True for three upper-case ASCII letters (the shape of an ISO 4217 alphabetic code)."""
    return isinstance(code, str) and _CURRENCY_CODE.fullmatch(code) is not None


def _require_currency(code: str) -> None:
    if not is_currency_code(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (3 upper-case letters)")


def minor_units(currency: str) -> int:
    """How many decimals the currency has: JPY 0, GBP 2, KWD 3 (2 for codes not in the table)."""
    _require_currency(currency)
    return _MINOR_UNITS.get(currency, _DEFAULT_MINOR_UNITS)


def _context_for(*values: Decimal, places: int = 0) -> Context:
    """A context precise enough that arithmetic on `values` and quantizing to `places` is exact."""
    digits = sum(len(value.as_tuple().digits) for value in values)
    magnitude = max((value.adjusted() for value in values), default=0)
    return Context(
        prec=max(28, digits + 2, magnitude + places + 2, places + 2),
        rounding=ROUND_HALF_UP,
        Emax=MAX_EMAX,
        Emin=MIN_EMIN,
    )


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded to the currency's minor units, halves away from zero (ROUND_HALF_UP)."""
    if not amount.is_finite():
        raise InvalidAmount(f"{amount} is not a finite amount")
    places = minor_units(currency)
    exponent = Decimal(1).scaleb(-places)
    context = _context_for(amount, places=places)
    rounded = amount.quantize(exponent, rounding=ROUND_HALF_UP, context=context)
    # Adding zero turns a negative zero (-0.004 -> -0.00) into a plain zero.
    return rounded + Decimal(0) if rounded.is_zero() else rounded


def decimal_places(amount: Decimal) -> int:
    """Significant decimals of `amount`: 12.50 -> 1, 12 -> 0, 1E+2 -> 0, 0.005 -> 3."""
    if not amount.is_finite() or amount.is_zero():
        return 0
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite numbers have an integer exponent
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def to_decimal(value: object) -> Decimal:
    """A JSON number (int, float) or numeric string as an exact Decimal, without float error.

    Floats are read through their shortest round-tripping repr, so the float a JSON parser made of
    `0.1` becomes Decimal("0.1"), not 0.1000000000000000055511151231257827...
    Booleans, NaN, infinities, empty strings and anything else raise InvalidAmount.
    """
    if isinstance(value, bool):
        raise InvalidAmount(f"{value!r} is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value)) if value == value else Decimal("NaN")
    elif isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise InvalidAmount(f"{value!r} is not a number")
        try:
            result = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern already rules this out
            raise InvalidAmount(f"{value!r} is not a number") from error
    else:
        raise InvalidAmount(f"{value!r} is not a number")
    if not result.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite number")
    return result


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency. Arithmetic and ordering only within one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amounts are Decimals, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise InvalidAmount(f"{self.amount} is not a finite amount")
        _require_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def of(cls, value: object, currency: str) -> Money:
        """Money from a JSON number or numeric string (see `to_decimal`)."""
        return cls(to_decimal(value), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount.is_zero()

    def quantized(self) -> Money:
        """This amount rounded to the currency's minor units (ROUND_HALF_UP)."""
        return Money(quantize(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def convert(money: Money, rate: Decimal, to_currency: str) -> Money:
    """`money` x `rate` in `to_currency`, rounded once to its minor units (ROUND_HALF_UP).

    `rate` is units of `to_currency` per one unit of `money.currency` - Codat's `currencyRate`
    direction (base amount = foreign amount x currencyRate; USD 20 at 0.781 = GBP 15.62).
    The product is computed exactly before that single rounding.
    """
    if isinstance(rate, bool) or not isinstance(rate, Decimal) or not rate.is_finite():
        raise InvalidAmount(f"{rate!r} is not a finite decimal rate")
    if rate <= 0:
        raise ValueError(f"a currency rate must be above 0, not {rate}")
    _require_currency(to_currency)
    product = _context_for(money.amount, rate).multiply(money.amount, rate)
    return Money(quantize(product, to_currency), to_currency)
