"""Every rule a transaction must meet before it is planned, reported all at once.

Each `validate_*` returns a list of `Problem`s (empty when the transaction is valid) and never
raises on bad data. `item_id` follows Codat's validation style relative to the transaction -
`Lines[1].NetAmount`, `CurrencyRate` - and the caller prefixes the item's position (`Items[3].`).
Range messages reproduce Codat's verbatim form ("The field NetAmount must be between 0 and
5000000."); the other messages follow the same .NET data-annotation wording where one exists.

Passing `base_currency` adds the checks that depend on the company: a rate is required to convert
a foreign currency, the base currency itself takes no rate other than 1, and a cross-currency
transfer needs one side in the base currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal

from spendsync.ledger.model import (
    Adjustment,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvoiceTo,
    Reimbursable,
    TrackingDataType,
    TrackingRef,
    Transfer,
)
from spendsync.ledger.money import Money, decimal_places, is_currency_code, minor_units

__all__ = [
    "MAX_AMOUNT",
    "MAX_LINES",
    "MAX_RATE",
    "MAX_TRACKING_REFS",
    "InvalidTransaction",
    "Problem",
    "validate_adjustment",
    "validate_expense",
    "validate_reimbursable",
    "validate_transfer",
]

MAX_AMOUNT = Decimal(5_000_000)
"""The largest amount Codat accepts on a line (and that spendsync accepts on a transfer)."""
MAX_LINES = 100
MAX_TRACKING_REFS = 10
MAX_RATE = Decimal(1_000_000_000)
"""A sanity bound on currencyRate: far above any real exchange rate."""

_EXPENSE_TRACKING = (TrackingDataType.TRACKING_CATEGORIES, TrackingDataType.CUSTOMERS)
_ADJUSTMENT_TRACKING = tuple(TrackingDataType)


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (Codat itemId, relative to the transaction) and what."""

    item_id: str
    message: str


class InvalidTransaction(ValueError):
    """Raised by the `plan_*` functions for a transaction that has problems; carries them all."""

    def __init__(self, transaction_id: str, problems: Sequence[Problem]) -> None:
        self.transaction_id = transaction_id
        self.problems = tuple(problems)
        listed = "; ".join(f"{p.item_id}: {p.message}" for p in self.problems)
        super().__init__(f"transaction {transaction_id!r} is invalid: {listed}")


def _is_number(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _valid_rate(rate: object) -> bool:
    return isinstance(rate, Decimal) and rate.is_finite() and Decimal(0) < rate <= MAX_RATE


def _required(value: object, item_id: str, name: str = "Id") -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [Problem(item_id, f"The {name} field is required.")]
    return []


def _optional_id(value: str | None, item_id: str) -> list[Problem]:
    return [] if value is None else _required(value, item_id)


def _places_problem(value: Decimal, item_id: str, name: str, currency: str) -> list[Problem]:
    if not is_currency_code(currency):
        return []  # the currency itself is reported; its minor units are unknown
    allowed = minor_units(currency)
    if decimal_places(value) <= allowed:
        return []
    if allowed == 0:
        message = f"The field {name} must be a whole number: {currency} has no decimal places."
    else:
        message = f"The field {name} must have at most {allowed} decimal places in {currency}."
    return [Problem(item_id, message)]


def _amount(
    value: object, item_id: str, name: str, currency: str, low: Decimal, high: Decimal
) -> list[Problem]:
    """A number within [low, high] with no more decimals than the currency has."""
    if not _is_number(value):
        return [Problem(item_id, f"The field {name} must be a number.")]
    assert isinstance(value, Decimal)
    problems: list[Problem] = []
    if not low <= value <= high:
        problems.append(Problem(item_id, f"The field {name} must be between {low} and {high}."))
    return problems + _places_problem(value, item_id, name, currency)


def _currency(currency: object, rate: object, base_currency: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if not is_currency_code(currency):
        problems.append(
            Problem("Currency", "The field Currency must be an ISO 4217 code of 3 capital letters.")
        )
    if rate is not None and not _valid_rate(rate):
        problems.append(
            Problem(
                "CurrencyRate",
                f"The field CurrencyRate must be greater than 0 and at most {MAX_RATE}.",
            )
        )
    if base_currency is not None and is_currency_code(currency):
        if currency == base_currency and rate is not None and not (_is_number(rate) and rate == 1):
            problems.append(
                Problem(
                    "CurrencyRate",
                    f"{currency} is the company's base currency, so CurrencyRate must be "
                    "empty or 1.",
                )
            )
        elif currency != base_currency and rate is None:
            problems.append(
                Problem(
                    "CurrencyRate",
                    f"A CurrencyRate is required to convert {currency} into the company's base "
                    f"currency {base_currency}.",
                )
            )
    return problems


def _line_count(lines: Sequence[object]) -> list[Problem]:
    if len(lines) < 1:
        return [
            Problem(
                "Lines",
                "The field Lines must be a string or array type with a minimum length of '1'.",
            )
        ]
    if len(lines) > MAX_LINES:
        return [
            Problem(
                "Lines",
                "The field Lines must be a string or array type with a maximum length of "
                f"'{MAX_LINES}'.",
            )
        ]
    return []


def _tracking(
    refs: Sequence[TrackingRef], where: str, allowed: tuple[TrackingDataType, ...]
) -> list[Problem]:
    problems: list[Problem] = []
    if len(refs) > MAX_TRACKING_REFS:
        problems.append(
            Problem(
                f"{where}TrackingRefs",
                "The field TrackingRefs must be a string or array type with a maximum length of "
                f"'{MAX_TRACKING_REFS}'.",
            )
        )
    for index, ref in enumerate(refs):
        item = f"{where}TrackingRefs[{index}]."
        problems += _required(ref.id, f"{item}Id")
        if ref.data_type not in allowed:
            names = ", ".join(str(data_type) for data_type in allowed)
            problems.append(
                Problem(f"{item}DataType", f"The field DataType must be one of: {names}.")
            )
    return problems


def _invoice_to(invoice_to: InvoiceTo | None, where: str) -> list[Problem]:
    return [] if invoice_to is None else _required(invoice_to.id, f"{where}InvoiceTo.Id")


def _expense_lines(lines: Sequence[ExpenseLine], currency: str) -> list[Problem]:
    problems = _line_count(lines)
    zero = Decimal(0)
    for index, line in enumerate(lines):
        where = f"Lines[{index}]."
        problems += _amount(line.net, f"{where}NetAmount", "NetAmount", currency, zero, MAX_AMOUNT)
        problems += _amount(line.tax, f"{where}TaxAmount", "TaxAmount", currency, zero, MAX_AMOUNT)
        if line.account_id is None and line.item_id is None:
            problems.append(
                Problem(
                    f"{where}AccountRef",
                    "The AccountRef field is required (QuickBooks Desktop also takes an ItemRef).",
                )
            )
        elif line.account_id is not None and line.item_id is not None:
            problems.append(
                Problem(f"{where}ItemRef", "Specify either ItemRef or AccountRef, not both.")
            )
        problems += _optional_id(line.account_id, f"{where}AccountRef.Id")
        problems += _optional_id(line.item_id, f"{where}ItemRef.Id")
        problems += _optional_id(line.tax_rate_id, f"{where}TaxRateRef.Id")
        problems += _tracking(line.tracking, where, _EXPENSE_TRACKING)
        problems += _invoice_to(line.invoice_to, where)
    return problems


def validate_expense(expense: Expense, base_currency: str | None = None) -> list[Problem]:
    """Problems with an expense (Payment, Refund, Reward, Chargeback).

    Lines: 1 to 100; net and tax amounts between 0 and 5,000,000 inclusive (the kind carries
    the direction, so negative amounts are invalid) with at most the currency's decimals; an
    account or an item, not both; at most 10 tracking refs. Currency: 3 capital letters; rate
    above 0 when present (and see `base_currency` in the module notes).
    """
    problems = _required(expense.id, "Id")
    if not isinstance(expense.kind, ExpenseKind):
        names = ", ".join(str(kind) for kind in ExpenseKind)
        problems.append(Problem("Type", f"The field Type must be one of: {names}."))
    problems += _optional_id(expense.contact_id, "ContactRef.Id")
    if expense.contact_type not in (None, "Supplier", "Customer"):
        problems.append(
            Problem("ContactRef.Type", "The field Type must be one of: Supplier, Customer.")
        )
    problems += _optional_id(expense.bank_account_id, "BankAccountRef.Id")
    problems += _currency(expense.currency, expense.currency_rate, base_currency)
    problems += _expense_lines(expense.lines, expense.currency)
    return problems


def validate_reimbursable(
    reimbursable: Reimbursable, base_currency: str | None = None
) -> list[Problem]:
    """Problems with a reimbursable expense: the expense line rules, plus a contact (the
    employee) is required."""
    problems = _required(reimbursable.id, "Id")
    problems += _required(reimbursable.contact_id, "ContactRef.Id")
    problems += _optional_id(reimbursable.ap_account_id, "ApAccountRef.Id")
    problems += _currency(reimbursable.currency, reimbursable.currency_rate, base_currency)
    problems += _expense_lines(reimbursable.lines, reimbursable.currency)
    return problems


def _transfer_amount(money: object, side: str) -> list[Problem]:
    item_id = f"{side}.Amount"
    if not isinstance(money, Money):
        return [Problem(item_id, "The field Amount must be a number.")]
    problems: list[Problem] = []
    if not Decimal(0) < money.amount <= MAX_AMOUNT:
        problems.append(
            Problem(item_id, f"The field Amount must be greater than 0 and at most {MAX_AMOUNT}.")
        )
    return problems + _places_problem(money.amount, item_id, "Amount", money.currency)


def validate_transfer(transfer: Transfer, base_currency: str | None = None) -> list[Problem]:
    """Problems with a transfer.

    Both amounts above 0 (at most 5,000,000, within their currency's decimals); two different
    accounts; in one currency the two amounts must be equal; across currencies (with
    `base_currency` given) one side must be in the base currency, as Codat cannot convert
    between two non-base currencies.
    """
    problems = _required(transfer.id, "Id")
    problems += _required(transfer.from_account_id, "From.AccountRef.Id")
    problems += _required(transfer.to_account_id, "To.AccountRef.Id")
    if transfer.from_account_id and transfer.from_account_id == transfer.to_account_id:
        problems.append(Problem("To.AccountRef.Id", "A transfer needs two different accounts."))
    problems += _transfer_amount(transfer.from_amount, "From")
    problems += _transfer_amount(transfer.to_amount, "To")
    source, target = transfer.from_amount, transfer.to_amount
    if not (isinstance(source, Money) and isinstance(target, Money)):
        return problems
    if source.currency == target.currency:
        if source.amount != target.amount:
            problems.append(
                Problem(
                    "To.Amount",
                    f"Both accounts are in {source.currency}, so To.Amount must equal From.Amount.",
                )
            )
    elif base_currency is not None and base_currency not in (source.currency, target.currency):
        problems.append(
            Problem(
                "To.AccountRef.Id",
                f"A transfer from {source.currency} to {target.currency} cannot be converted: "
                f"one side must be in the company's base currency {base_currency}.",
            )
        )
    return problems


_MAX_SUM_DIGITS = 1_000


def _exact_sum(values: Sequence[object]) -> Decimal | None:
    """The exact sum of finite Decimals; None when there is nothing sensible to add up: no
    values, a non-number, or magnitudes so far apart that the amounts are already reported as
    out of range or as having too many decimals."""
    decimals = [value for value in values if isinstance(value, Decimal) and value.is_finite()]
    if not decimals or len(decimals) != len(values):
        return None
    exponents = [int(number.as_tuple().exponent) for number in decimals]
    top = max(number.adjusted() for number in decimals)
    digits = top - min(exponents) + len(decimals) + 2
    if digits > _MAX_SUM_DIGITS:
        return None
    context = Context(prec=max(28, digits), Emax=MAX_EMAX, Emin=MIN_EMIN)
    total = Decimal(0)
    for number in decimals:
        total = context.add(total, number)
    return total


def validate_adjustment(adjustment: Adjustment, base_currency: str | None = None) -> list[Problem]:
    """Problems with an adjustment (journal entry).

    Lines: 1 to 100, each with an account and an amount between -5,000,000 and 5,000,000
    (positive = debit, negative = credit) within the currency's decimals, at most 10 tracking
    refs; the amounts must add up to exactly zero.
    """
    problems = _required(adjustment.id, "Id")
    problems += _currency(adjustment.currency, adjustment.currency_rate, base_currency)
    problems += _line_count(adjustment.lines)
    for index, line in enumerate(adjustment.lines):
        where = f"Lines[{index}]."
        problems += _amount(
            line.amount, f"{where}Amount", "Amount", adjustment.currency, -MAX_AMOUNT, MAX_AMOUNT
        )
        problems += _required(line.account_id, f"{where}AccountRef.Id")
        problems += _tracking(line.tracking, where, _ADJUSTMENT_TRACKING)
        problems += _invoice_to(line.invoice_to, where)
    balance = _exact_sum([line.amount for line in adjustment.lines])
    if balance is not None and balance != 0:
        problems.append(
            Problem(
                "Lines",
                f"The line amounts must add up to zero (debits = credits); they add up to "
                f"{balance}.",
            )
        )
    return problems
