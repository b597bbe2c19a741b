"""Documents of spendsync's ledger model (spendsync.ledger.model) for the connectors' mapping
tests: the fields every test leaves alone are filled in, the test names the rest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from spendsync.ledger.model import Expense, ExpenseKind, Transfer
from spendsync.ledger.money import Money

DAY = date(2026, 11, 4)


def expense(kind: ExpenseKind, **fields: Any) -> Expense:
    """A GBP expense at Pret A Manger on DAY (id "t-1"); `fields` add to or replace those."""
    return Expense(
        **{
            "id": "t-1",
            "kind": kind,
            "issue_date": DAY,
            "currency": "GBP",
            "merchant_name": "Pret A Manger",
            **fields,
        }
    )


def money(text: str) -> Money:
    """ "100.00 GBP" → Money(Decimal("100.00"), "GBP")."""
    amount, currency = text.split()
    return Money(Decimal(amount), currency)


def transfer(
    from_account_id: str, from_amount: str, to_account_id: str, to_amount: str, **fields: Any
) -> Transfer:
    """A transfer on DAY (id "t") of `from_amount` out of one account and `to_amount` (each
    like "100.00 GBP") into another; `fields` add to or replace those."""
    return Transfer(
        **{
            "id": "t",
            "date": DAY,
            "from_account_id": from_account_id,
            "from_amount": money(from_amount),
            "to_account_id": to_account_id,
            "to_amount": money(to_amount),
            **fields,
        }
    )
