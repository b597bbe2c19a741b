"""Posting rules: how each kind of transaction becomes a balanced set of debits and credits.

A `PostingPlan` is the platform-neutral answer to "what must the ledger record". Connectors
translate it into their own objects (a Xero bank transaction, a QBO purchase, a journal...).

Posting rules (each `plan_*` function documents its own in full):

| Transaction  | Debit                               | Credit                              |
|--------------|-------------------------------------|-------------------------------------|
| Payment      | line accounts (net) + tax (per rate)| bank/card account (total)           |
| Refund       | bank/card account (total)           | line accounts (net) + tax           |
| Reward       | bank/card account (total)           | line accounts (income/contra) + tax |
| Chargeback   | bank/card account (total)           | line accounts (net) + tax           |
| Reimbursable | line accounts (net) + tax           | accounts payable to the employee    |
| Transfer     | `to` account (to amount)            | `from` account (from amount)        |
| Adjustment   | lines with a positive amount        | lines with a negative amount (abs)  |

Amounts on postings are never negative: the direction says which side they are on, and for
expenses it comes from the transaction's kind alone, never from the sign of an amount.

Tax. Each line gives a LINE posting for its net amount that also carries the line's tax
(`line_tax`) and tax rate, and the tax of all lines is posted once per tax rate as TAX postings
(lines without a tax rate form one group with `tax_rate_id=None`; groups adding up to zero get
no posting). A connector whose ledger takes tax per line sends LINE postings with their
`line_tax` and skips the TAX postings; one whose ledger takes tax as separate lines sends both
net LINE postings and TAX postings. The plan balances with LINE nets + TAX postings.

Multi-currency. `rate` converts the transaction currency into the company's base currency:
base = amount x rate (Codat's currencyRate: "USD 20 at 0.781 = GBP 15.62"). Every posting gets a
`base_amount`, rounded to the base currency's minor units (ROUND_HALF_UP). Both sides of the
plan are then brought to the same base total, round(total x rate): on each side, the rounding
residual (the base total minus the sum of that side's rounded postings) is added to the side's
largest posting (largest transaction amount; the earliest one on a tie). A side made of one
posting - the bank, card or payable posting of an expense - never has a residual, so that
posting is exactly round(total x rate), the figure a bank statement shows. Should the residual
exceed the largest posting itself (only possible with many tiny lines), it is instead spread one
minor unit at a time over the side's postings, largest first, so that no base amount turns
negative. Debits equal credits exactly in the transaction currency and in the base currency.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal

from spendsync.ledger.model import (
    Adjustment,
    ContactType,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvoiceTo,
    Reimbursable,
    TrackingRef,
    Transfer,
)
from spendsync.ledger.money import Money, convert, is_currency_code, minor_units, quantize
from spendsync.ledger.validation import (
    InvalidTransaction,
    Problem,
    validate_adjustment,
    validate_expense,
    validate_reimbursable,
    validate_transfer,
)

__all__ = [
    "AccountRole",
    "AccountTarget",
    "BalanceBasis",
    "Counterparty",
    "Direction",
    "PlanKind",
    "Posting",
    "PostingKind",
    "PostingPlan",
    "UnbalancedPlan",
    "plan_adjustment",
    "plan_expense",
    "plan_reimbursable",
    "plan_transfer",
]


class Direction(enum.StrEnum):
    DEBIT = "Debit"
    CREDIT = "Credit"

    @property
    def opposite(self) -> Direction:
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


class AccountRole(enum.Enum):
    """An account the connector resolves itself, because the transaction did not name it.

    A plain Enum (not a str) so that a role can never be mistaken for an account id.
    """

    BANK = "BankAccount"
    """The company's configured bank/card account (the transaction had no bankAccountRef)."""
    ACCOUNTS_PAYABLE = "AccountsPayable"
    """The ledger's accounts-payable control account (no apAccountRef was given)."""
    TAX = "Tax"
    """The tax account behind the posting's `tax_rate_id` (the ledger's default without one)."""
    ITEM = "Item"
    """The account behind the posting's `item_id` (QuickBooks Desktop items)."""


AccountTarget = str | AccountRole
"""An account id from the ledger's chart of accounts, or a role the connector resolves."""


class PostingKind(enum.StrEnum):
    """What a posting stands for, so a connector can find the parts its ledger wants."""

    LINE = "Line"  # a transaction line's net amount (expense, refund, reimbursable...)
    TAX = "Tax"  # tax of all lines with one tax rate
    BANK = "Bank"  # the bank/card account side of an expense
    PAYABLE = "Payable"  # what a reimbursable expense owes the employee
    TRANSFER_FROM = "TransferFrom"
    TRANSFER_TO = "TransferTo"
    JOURNAL = "Journal"  # an adjustment line


class PlanKind(enum.StrEnum):
    """The transaction a plan records (values match Codat's type and endpoint names)."""

    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"
    TRANSFER = "Transfer"
    REIMBURSABLE = "Reimbursable"
    ADJUSTMENT = "Adjustment"


class BalanceBasis(enum.StrEnum):
    """In which currency debits equal credits.

    TRANSACTION: every posting is in the plan's currency and balances there (and in base
    currency too, whenever base amounts are known). BASE: the postings are in different
    currencies (a cross-currency transfer) and balance in base currency only.
    """

    TRANSACTION = "Transaction"
    BASE = "Base"


class UnbalancedPlan(RuntimeError):
    """A plan that does not balance: a bug in the posting rules, never a problem with input."""


@dataclass(frozen=True)
class Counterparty:
    id: str
    type: ContactType


@dataclass(frozen=True)
class Posting:
    """One debit or credit.

    `amount` is never negative, in the transaction currency (for a transfer: the account's own
    currency). `base_amount` is the same in the company's base currency, or None where no rate
    is known (a transfer between two accounts in the same foreign currency: the ledger converts).
    `line_index` is the position of the source line; a TAX posting instead lists the lines it
    adds up in `source_lines`. LINE postings carry their line's own tax in `line_tax`.
    """

    kind: PostingKind
    account: AccountTarget
    direction: Direction
    amount: Money
    base_amount: Money | None = None
    tax_rate_id: str | None = None
    tracking: tuple[TrackingRef, ...] = ()
    description: str | None = None
    line_index: int | None = None
    line_tax: Money | None = None
    item_id: str | None = None
    invoice_to: InvoiceTo | None = None
    source_lines: tuple[int, ...] = ()

    @property
    def signed_amount(self) -> Decimal:
        """The amount as a journal figure: positive for a debit, negative for a credit."""
        return self.amount.amount if self.direction is Direction.DEBIT else -self.amount.amount


def _total(moneys: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for money in moneys:
        total += money
    return total


@dataclass(frozen=True)
class PostingPlan:
    """A balanced set of postings plus the header a ledger record needs.

    `currency` is the transaction currency (for a cross-currency transfer: its non-base side),
    `rate` converts it into `base_currency` (base = amount x rate; 1 when they are the same;
    None when unknown), `total` is what the transaction moves in `currency` (for an expense:
    the sum of net + tax) and `base_total` the same in base currency. `memo` holds the
    transaction's notes (a transfer's description).
    """

    transaction_id: str
    kind: PlanKind
    date: dt.date
    currency: str
    base_currency: str
    rate: Decimal | None
    balanced_in: BalanceBasis
    total: Money
    base_total: Money | None
    postings: tuple[Posting, ...]
    counterparty: Counterparty | None = None
    merchant_name: str | None = None
    reference: str | None = None
    memo: str | None = None
    due_date: dt.date | None = None
    post_as_draft: bool = False

    @property
    def debits(self) -> tuple[Posting, ...]:
        return tuple(p for p in self.postings if p.direction is Direction.DEBIT)

    @property
    def credits(self) -> tuple[Posting, ...]:
        return tuple(p for p in self.postings if p.direction is Direction.CREDIT)

    def of_kind(self, kind: PostingKind) -> tuple[Posting, ...]:
        return tuple(p for p in self.postings if p.kind is kind)

    def debit_total(self) -> Money:
        """Sum of the debits in the plan's currency (basis TRANSACTION only)."""
        return _total((p.amount for p in self.debits), self.currency)

    def credit_total(self) -> Money:
        """Sum of the credits in the plan's currency (basis TRANSACTION only)."""
        return _total((p.amount for p in self.credits), self.currency)

    def base_debit_total(self) -> Money | None:
        """Sum of the debits in base currency; None when base amounts are unknown."""
        return _base_total(self.debits, self.base_currency)

    def base_credit_total(self) -> Money | None:
        """Sum of the credits in base currency; None when base amounts are unknown."""
        return _base_total(self.credits, self.base_currency)

    def is_balanced(self) -> bool:
        """Debits equal credits in the plan's basis, and in base currency where known."""
        if self.balanced_in is BalanceBasis.TRANSACTION:
            currencies = {p.amount.currency for p in self.postings}
            if currencies - {self.currency}:
                return False
            if self.debit_total() != self.credit_total():
                return False
        bases = [p.base_amount for p in self.postings]
        known = [base for base in bases if base is not None]
        if known and len(known) != len(bases):
            return False  # base amounts are all there or all unknown
        if self.balanced_in is BalanceBasis.BASE and not known:
            return False
        if any(base.currency != self.base_currency for base in known):
            return False
        return self.base_debit_total() == self.base_credit_total()


def _base_total(postings: Iterable[Posting], base_currency: str) -> Money | None:
    total = Money.zero(base_currency)
    for posting in postings:
        if posting.base_amount is None:
            return None
        total += posting.base_amount
    return total


# --- base currency -----------------------------------------------------------------------------


def _base_amounts(postings: Sequence[Posting], rate: Decimal, base_currency: str) -> list[Money]:
    """Each posting's amount in base currency, with the residual rule of the module notes."""
    currency = postings[0].amount.currency
    base = [convert(p.amount, rate, base_currency).amount for p in postings]
    debit_total = _total((p.amount for p in postings if p.direction is Direction.DEBIT), currency)
    target = convert(debit_total, rate, base_currency).amount
    unit = Decimal(1).scaleb(-minor_units(base_currency))
    for side in Direction:
        members = [i for i, p in enumerate(postings) if p.direction is side]
        residual = target - sum((base[i] for i in members), Decimal(0))
        if residual == 0:
            continue
        if not members:
            raise UnbalancedPlan(f"no {side} postings to carry a base total of {target}")
        order = sorted(members, key=lambda i: (-postings[i].amount.amount, i))
        largest = order[0]
        if base[largest] + residual >= 0:
            base[largest] += residual
            continue
        step = unit if residual > 0 else -unit
        position = 0
        while residual != 0:
            index = order[position % len(order)]
            position += 1
            if base[index] + step >= 0:
                base[index] += step
                residual -= step
    return [Money(quantize(amount, base_currency), base_currency) for amount in base]


def _with_base(
    postings: Sequence[Posting], rate: Decimal, base_currency: str
) -> tuple[Posting, ...]:
    amounts = _base_amounts(postings, rate, base_currency)
    return tuple(replace(p, base_amount=b) for p, b in zip(postings, amounts, strict=True))


def _require_base_currency(base_currency: str) -> None:
    if not is_currency_code(base_currency):
        raise ValueError(f"{base_currency!r} is not an ISO 4217 base currency code")


def _checked(transaction_id: str, problems: list[Problem], base_currency: str) -> None:
    _require_base_currency(base_currency)
    if problems:
        raise InvalidTransaction(transaction_id, problems)


def _finish(plan: PostingPlan) -> PostingPlan:
    if not plan.is_balanced():
        raise UnbalancedPlan(f"the plan for {plan.transaction_id!r} does not balance")
    return plan


def _money(amount: Decimal, currency: str) -> Money:
    return Money(quantize(amount, currency), currency)


# --- expenses and reimbursables ----------------------------------------------------------------


def _line_postings(
    lines: Sequence[ExpenseLine], currency: str, direction: Direction
) -> list[Posting]:
    postings: list[Posting] = []
    for index, line in enumerate(lines):
        account: AccountTarget = (
            line.account_id if line.account_id is not None else AccountRole.ITEM
        )
        postings.append(
            Posting(
                kind=PostingKind.LINE,
                account=account,
                direction=direction,
                amount=_money(line.net, currency),
                tax_rate_id=line.tax_rate_id,
                tracking=line.tracking,
                description=line.description,
                line_index=index,
                line_tax=_money(line.tax, currency),
                item_id=line.item_id,
                invoice_to=line.invoice_to,
            )
        )
    return postings


def _tax_postings(
    lines: Sequence[ExpenseLine], currency: str, direction: Direction
) -> list[Posting]:
    """One posting per tax rate (in order of first appearance), adding up the lines' tax."""
    groups: dict[str | None, tuple[Decimal, list[int]]] = {}
    for index, line in enumerate(lines):
        if line.tax == 0:
            continue
        amount, sources = groups.get(line.tax_rate_id, (Decimal(0), []))
        groups[line.tax_rate_id] = (amount + line.tax, [*sources, index])
    return [
        Posting(
            kind=PostingKind.TAX,
            account=AccountRole.TAX,
            direction=direction,
            amount=_money(amount, currency),
            tax_rate_id=rate_id,
            source_lines=tuple(sources),
        )
        for rate_id, (amount, sources) in groups.items()
        if amount != 0
    ]


def _rate_for(currency: str, rate: Decimal | None, base_currency: str) -> Decimal:
    if currency == base_currency:
        return Decimal(1)
    if rate is None:  # validation requires a rate for a foreign currency
        raise UnbalancedPlan(f"no rate to convert {currency} into {base_currency}")
    return rate


_LINE_SIDE: dict[ExpenseKind, Direction] = {
    ExpenseKind.PAYMENT: Direction.DEBIT,
    ExpenseKind.REFUND: Direction.CREDIT,
    ExpenseKind.REWARD: Direction.CREDIT,
    ExpenseKind.CHARGEBACK: Direction.CREDIT,
}


def _lines_against(
    lines: Sequence[ExpenseLine],
    currency: str,
    line_side: Direction,
    balancing: Callable[[Money], Posting],
    rate: Decimal,
    base_currency: str,
) -> tuple[tuple[Posting, ...], Money]:
    total = _money(sum((line.total for line in lines), Decimal(0)), currency)
    postings = [
        *_line_postings(lines, currency, line_side),
        *_tax_postings(lines, currency, line_side),
        balancing(total),
    ]
    return _with_base(postings, rate, base_currency), total


def plan_expense(expense: Expense, base_currency: str) -> PostingPlan:
    """The postings of a card expense. The kind alone gives the direction:

    - Payment (spend on the card/bank account): debit each line's account with its net amount
      and the tax accounts with the tax; credit the bank/card account with the total.
    - Refund (money back from the merchant): the reverse - debit the bank/card account with the
      total; credit the line accounts (net) and the tax.
    - Reward (cashback): debit the bank/card account; credit the line accounts, which name an
      income or contra-expense account (and the tax, if any).
    - Chargeback (a disputed payment returned): debit the bank/card account; credit the line
      accounts and the tax.

    The bank posting names `bank_account_id`, or AccountRole.BANK when the expense has none
    (the company's configured account). A line with an item instead of an account posts to
    AccountRole.ITEM with `item_id` set. The counterparty is the contact, typed Supplier unless
    the expense says Customer; None means "use the configured supplier/customer". Raises
    InvalidTransaction with every problem `validate_expense` finds.
    """
    _checked(expense.id, validate_expense(expense, base_currency), base_currency)
    line_side = _LINE_SIDE[expense.kind]
    rate = _rate_for(expense.currency, expense.currency_rate, base_currency)
    bank: AccountTarget = (
        expense.bank_account_id if expense.bank_account_id is not None else AccountRole.BANK
    )

    def bank_posting(total: Money) -> Posting:
        return Posting(PostingKind.BANK, bank, line_side.opposite, total)

    postings, total = _lines_against(
        expense.lines, expense.currency, line_side, bank_posting, rate, base_currency
    )
    counterparty = (
        None
        if expense.contact_id is None
        else Counterparty(expense.contact_id, expense.contact_type or "Supplier")
    )
    return _finish(
        PostingPlan(
            transaction_id=expense.id,
            kind=PlanKind(expense.kind.value),
            date=expense.issue_date,
            currency=expense.currency,
            base_currency=base_currency,
            rate=rate,
            balanced_in=BalanceBasis.TRANSACTION,
            total=total,
            base_total=_base_total(
                (p for p in postings if p.direction is line_side.opposite), base_currency
            ),
            postings=postings,
            counterparty=counterparty,
            merchant_name=expense.merchant_name,
            reference=expense.reference,
            memo=expense.notes,
            post_as_draft=expense.post_as_draft,
        )
    )


def plan_reimbursable(reimbursable: Reimbursable, base_currency: str) -> PostingPlan:
    """The postings of a reimbursable expense (a bill owed to an employee):

    debit each line's account with its net amount and the tax accounts with the tax; credit
    accounts payable with the total - `ap_account_id`, or AccountRole.ACCOUNTS_PAYABLE when the
    transaction names none. The counterparty is the employee, as a Supplier; `due_date` is set.
    Raises InvalidTransaction with every problem `validate_reimbursable` finds.
    """
    _checked(reimbursable.id, validate_reimbursable(reimbursable, base_currency), base_currency)
    rate = _rate_for(reimbursable.currency, reimbursable.currency_rate, base_currency)
    payable: AccountTarget = (
        reimbursable.ap_account_id
        if reimbursable.ap_account_id is not None
        else AccountRole.ACCOUNTS_PAYABLE
    )

    def payable_posting(total: Money) -> Posting:
        return Posting(PostingKind.PAYABLE, payable, Direction.CREDIT, total)

    postings, total = _lines_against(
        reimbursable.lines,
        reimbursable.currency,
        Direction.DEBIT,
        payable_posting,
        rate,
        base_currency,
    )
    return _finish(
        PostingPlan(
            transaction_id=reimbursable.id,
            kind=PlanKind.REIMBURSABLE,
            date=reimbursable.issue_date,
            currency=reimbursable.currency,
            base_currency=base_currency,
            rate=rate,
            balanced_in=BalanceBasis.TRANSACTION,
            total=total,
            base_total=_base_total(
                (p for p in postings if p.direction is Direction.CREDIT), base_currency
            ),
            postings=postings,
            counterparty=Counterparty(reimbursable.contact_id, "Supplier"),
            reference=reimbursable.reference,
            memo=reimbursable.notes,
            due_date=reimbursable.due_date,
        )
    )


# --- transfers ---------------------------------------------------------------------------------

_RATE_PLACES = Decimal("1E-9")


def _implied_rate(foreign: Money, base: Money) -> Decimal:
    """base / foreign to 9 decimals (Codat's rate precision), more digits if that rounds to 0."""
    quotient = Context(prec=28, rounding=ROUND_HALF_UP).divide(base.amount, foreign.amount)
    rounded = quotient.quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else quotient


def plan_transfer(transfer: Transfer, base_currency: str) -> PostingPlan:
    """The postings of a transfer: debit the `to` account with `to_amount`, credit the `from`
    account with `from_amount`.

    - Same currency: the two amounts are equal and the plan balances in that currency. Base
      amounts are the amounts themselves when it is the base currency, and unknown (None, rate
      None) when it is a foreign one - Codat's transfer carries no rate; the ledger converts.
    - Different currencies (one of them the base currency): the plan balances in base currency
      and says so (`balanced_in=BASE`): both postings carry the base-currency side's amount as
      their `base_amount`. The plan's `currency` is the foreign side, `rate` the implied
      base / foreign rate (9 decimals), `total` the foreign amount, `base_total` the base one.

    Raises InvalidTransaction with every problem `validate_transfer` finds.
    """
    _checked(transfer.id, validate_transfer(transfer, base_currency), base_currency)
    source, target = transfer.from_amount, transfer.to_amount
    postings = [
        Posting(
            PostingKind.TRANSFER_TO,
            transfer.to_account_id,
            Direction.DEBIT,
            target.quantized(),
            description=transfer.description,
        ),
        Posting(
            PostingKind.TRANSFER_FROM,
            transfer.from_account_id,
            Direction.CREDIT,
            source.quantized(),
            description=transfer.description,
        ),
    ]
    rate: Decimal | None
    if source.currency == target.currency:
        currency, balanced_in, total = source.currency, BalanceBasis.TRANSACTION, source
        if currency == base_currency:
            rate = Decimal(1)
            postings = [replace(p, base_amount=p.amount) for p in postings]
        else:
            rate = None
        base_total = postings[1].base_amount
    else:
        base_side, foreign = (
            (source, target)
            if source.currency == base_currency
            else (
                target,
                source,
            )
        )
        base_amount = base_side.quantized()
        postings = [replace(p, base_amount=base_amount) for p in postings]
        currency, balanced_in, total = foreign.currency, BalanceBasis.BASE, foreign
        rate = _implied_rate(foreign, base_side)
        base_total = base_amount
    return _finish(
        PostingPlan(
            transaction_id=transfer.id,
            kind=PlanKind.TRANSFER,
            date=transfer.date,
            currency=currency,
            base_currency=base_currency,
            rate=rate,
            balanced_in=balanced_in,
            total=total.quantized(),
            base_total=base_total,
            postings=tuple(postings),
            memo=transfer.description,
        )
    )


# --- adjustments -------------------------------------------------------------------------------


def plan_adjustment(adjustment: Adjustment, base_currency: str) -> PostingPlan:
    """The postings of an adjustment (a journal entry): each line as given - a positive amount
    is a debit of that amount, a negative one a credit of its absolute value (zero counts as a
    debit of zero) - on the line's own account, with its description and tracking. The lines
    add up to zero, so the plan balances; `total` is the sum of the debits.

    Raises InvalidTransaction with every problem `validate_adjustment` finds.
    """
    _checked(adjustment.id, validate_adjustment(adjustment, base_currency), base_currency)
    currency = adjustment.currency
    rate = _rate_for(currency, adjustment.currency_rate, base_currency)
    drafts = [
        Posting(
            kind=PostingKind.JOURNAL,
            account=line.account_id,
            direction=Direction.DEBIT if line.amount >= 0 else Direction.CREDIT,
            amount=_money(abs(line.amount), currency),
            tracking=line.tracking,
            description=line.description,
            line_index=index,
            invoice_to=line.invoice_to,
        )
        for index, line in enumerate(adjustment.lines)
    ]
    postings = _with_base(drafts, rate, base_currency)
    debits = [p for p in postings if p.direction is Direction.DEBIT]
    return _finish(
        PostingPlan(
            transaction_id=adjustment.id,
            kind=PlanKind.ADJUSTMENT,
            date=adjustment.date,
            currency=currency,
            base_currency=base_currency,
            rate=rate,
            balanced_in=BalanceBasis.TRANSACTION,
            total=_total((p.amount for p in debits), currency),
            base_total=_base_total(debits, base_currency),
            postings=postings,
            reference=adjustment.reference,
        )
    )
