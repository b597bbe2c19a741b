"""Posting plans as Beancount transactions (pure).

A Beancount transaction is exactly a posting plan: each posting becomes a posting line, debits
positive and credits negative. Tax is on its own postings (one per tax rate, with `tax_rate:`
metadata). Tracking categories become tags on the transaction and `tracking:` metadata on the
line; a line re-billed to a customer carries `customer:`. Foreign currency:

- when the bank, card or payable account holds the transaction currency, every posting is in
  that currency (a USD card pays a USD spend) and no price is needed;
- otherwise the money side is posted in base currency and every other posting carries its
  exact base amount as a total price (`40.00 USD @@ 32.00 GBP`), so the entry balances to the
  cent in base currency with the plan's own rounding.

The entry carries `spendsync_id:` (our transaction id: replays and updates find it), its kind,
and a `^link` shared with its receipts' `document` directives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from spendsync.connectors.beancount.book import ID_KEY
from spendsync.connectors.beancount.syntax import quote
from spendsync.ledger.model import TrackingDataType
from spendsync.ledger.money import Money
from spendsync.ledger.posting import Direction, Posting, PostingKind, PostingPlan

_NOT_TAG = re.compile(r"[^A-Za-z0-9_/.-]")
MONEY_SIDE = (PostingKind.BANK, PostingKind.PAYABLE)


def tag(text: str) -> str:
    """Text made into a valid tag or link name."""
    return _NOT_TAG.sub("-", text) or "-"


@dataclass(frozen=True)
class Line:
    account: str
    units: Money
    total_price: Money | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        amount = f"{self.units.amount:f} {self.units.currency}"
        if self.total_price is not None:
            amount += f" @@ {abs(self.total_price.amount):f} {self.total_price.currency}"
        text = f"  {self.account}  {amount}"
        for key, value in self.meta.items():
            text += f"\n    {key}: {quote(value)}"
        return text


def _signed(posting: Posting, money: Money) -> Money:
    return money if posting.direction is Direction.DEBIT else Money(-money.amount, money.currency)


def _posting_meta(posting: Posting) -> dict[str, str]:
    meta: dict[str, str] = {}
    if posting.tax_rate_id:
        meta["tax_rate"] = posting.tax_rate_id
    categories = [
        t.id for t in posting.tracking if t.data_type is TrackingDataType.TRACKING_CATEGORIES
    ]
    if categories:
        meta["tracking"] = ",".join(categories)
    customers = [
        t.id for t in posting.tracking if t.data_type is not TrackingDataType.TRACKING_CATEGORIES
    ]
    if posting.invoice_to is not None:
        customers.append(posting.invoice_to.id)
    if customers:
        meta["customer"] = ",".join(customers)
    if posting.description and posting.kind is not PostingKind.TRANSFER_FROM:
        meta["description"] = posting.description
    return meta


def lines_of(
    plan: PostingPlan, accounts: Mapping[int, str], currency_of: Mapping[str, str]
) -> list[Line]:
    """The posting lines of a plan; `accounts[i]` is the ledger account of posting i and
    `currency_of` each account's currency. Raises ValueError when the money side's account is
    in neither the transaction currency nor the base currency."""
    base = plan.base_currency
    foreign = plan.currency != base
    money_side = [i for i, p in enumerate(plan.postings) if p.kind in MONEY_SIDE]
    in_base = foreign and any(currency_of[accounts[i]] != plan.currency for i in money_side)
    if in_base and any(currency_of[accounts[i]] != base for i in money_side):
        account = next(accounts[i] for i in money_side if currency_of[accounts[i]] != base)
        raise ValueError(
            f"{account} is in {currency_of[account]}; a {plan.currency} transaction can be "
            f"paid from an account in {plan.currency} or {base} only."
        )
    lines: list[Line] = []
    for index, posting in enumerate(plan.postings):
        account, meta = accounts[index], _posting_meta(posting)
        units, price = posting.amount, None
        if posting.kind in (PostingKind.TRANSFER_FROM, PostingKind.TRANSFER_TO):
            # Each side in its account's own currency; the non-base side priced in base.
            if units.currency != base and posting.base_amount is not None and plan.rate is not None:
                price = posting.base_amount
        elif in_base:
            if index in money_side:
                assert posting.base_amount is not None
                units = posting.base_amount
            else:
                price = posting.base_amount
        elif foreign and posting.kind is PostingKind.JOURNAL:
            price = posting.base_amount
        lines.append(Line(account, _signed(posting, units), price, meta))
    return lines


def render_transaction(
    plan: PostingPlan,
    lines: list[Line],
    *,
    payee: str | None,
    narration: str,
    link: str,
    meta: Mapping[str, str],
) -> str:
    tags = sorted(
        {
            tag(t.id)
            for p in plan.postings
            for t in p.tracking
            if t.data_type is TrackingDataType.TRACKING_CATEGORIES
        }
    )
    flag = "!" if plan.post_as_draft else "*"
    header = f"{plan.date.isoformat()} {flag}"
    if payee:
        header += f" {quote(payee)}"
    header += f" {quote(narration)}"
    header += "".join(f" #{t}" for t in tags) + f" ^{tag(link)}"
    body = [header, f"  {ID_KEY}: {quote(plan.transaction_id)}"]
    body += [f"  {key}: {quote(value)}" for key, value in meta.items()]
    if plan.rate is not None and plan.currency != plan.base_currency:
        body.append(f"  fx_rate: {quote(format(plan.rate, 'f'))}")
    body += [line.render() for line in lines]
    return "\n".join(body) + "\n"


def total_of(lines: list[Line]) -> Decimal:
    return sum((line.units.amount for line in lines if line.units.amount > 0), Decimal(0))
