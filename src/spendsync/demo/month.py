"""The demo month: card activity of a small UK business, as Codat request bodies (pure).

Names (accounts, tax rates, tracking options, contacts) are each platform's own, looked up in
the mapping options the API returns; the amounts and the story are the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DemoChart:
    """Names in a platform's books that the demo month posts to."""

    card: str
    usd_card: str  # a card account in USD
    bank: str
    meals: str
    travel: str
    office: str
    software: str
    advertising: str
    cashback: str
    vat: str  # a 20% purchase tax rate
    zero_rated: str
    sales: str  # a tracking option
    engineering: str  # another one
    employee: str
    # A supplier for the USD spend, where the platform ties suppliers to one currency (QBO);
    # None: the spend names no supplier and the company's configured one is used.
    usd_supplier: str | None = None


@dataclass(frozen=True)
class Ids:
    """Ids from the mapping options and reference data, by name."""

    accounts: dict[str, str]
    tax_rates: dict[str, str]
    tracking: dict[str, str]
    suppliers: dict[str, str]


@dataclass(frozen=True)
class DemoTransaction:
    """One request to send: `endpoint` under /companies/{id}/sync/expenses."""

    id: str
    label: str
    kind: str
    endpoint: str
    body: dict[str, Any]
    amount: Decimal
    currency: str
    receipt: str | None = None
    method: str = "POST"
    extra: dict[str, str] = field(default_factory=dict)


def _vat(net: Decimal) -> Decimal:
    return (net * Decimal("0.2")).quantize(Decimal("0.01"))


def demo_month(chart: DemoChart, ids: Ids, first_day: dt.date) -> list[DemoTransaction]:
    """The month's transactions in date order. The card ends the month at zero: the transfer
    pays off exactly what the card owes."""
    card = {"id": ids.accounts[chart.card]}

    def day(n: int) -> str:
        return (first_day + dt.timedelta(days=n - 1)).isoformat()

    def line(
        account: str, net: str, *, vat: bool = True, tracking: str | None = None
    ) -> dict[str, Any]:
        amount = Decimal(net)
        body: dict[str, Any] = {
            "netAmount": str(amount),
            "accountRef": {"id": ids.accounts[account]},
        }
        if vat:
            body["taxAmount"] = str(_vat(amount))
            body["taxRateRef"] = {"id": ids.tax_rates[chart.vat]}
        else:
            body["taxAmount"] = "0.00"
            body["taxRateRef"] = {"id": ids.tax_rates[chart.zero_rated]}
        if tracking is not None:
            body["trackingRefs"] = [
                {"id": ids.tracking[tracking], "dataType": "trackingCategories"}
            ]
        return body

    def expense(
        kind: str, n: int, merchant: str, lines: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": kind,
            "issueDate": day(n),
            "currency": "GBP",
            "merchantName": merchant,
            "bankAccountRef": card,
            "lines": lines,
            **extra,
        }
        if merchant in ids.suppliers:
            body["contactRef"] = {"id": ids.suppliers[merchant], "type": "Supplier"}
        return body

    def total(lines: list[dict[str, Any]]) -> Decimal:
        return sum((Decimal(x["netAmount"]) + Decimal(x["taxAmount"]) for x in lines), Decimal(0))

    month: list[DemoTransaction] = []

    def add(label: str, kind: str, body: dict[str, Any], receipt: str | None = None) -> None:
        month.append(
            DemoTransaction(
                id=str(uuid.uuid4()),
                label=label,
                kind=kind,
                endpoint="expense-transactions",
                body=body,
                amount=total(body["lines"]),
                currency=body["currency"],
                receipt=receipt,
            )
        )

    lunch = [line(chart.meals, "45.00", tracking=chart.sales)]
    add(
        "Team lunch with a client",
        "Payment",
        expense("Payment", 3, "Pret A Manger", lunch, notes="Client lunch"),
        "pret-receipt.pdf",
    )
    rail = [line(chart.travel, "120.00", vat=False, tracking=chart.engineering)]
    add("Rail tickets to Leeds", "Payment", expense("Payment", 5, "Trainline", rail))
    office = [line(chart.office, "80.00")]
    add(
        "Printer paper and toner",
        "Payment",
        expense("Payment", 8, "Staples UK", office),
        "staples-receipt.pdf",
    )
    ads = [line(chart.advertising, "150.00", tracking=chart.sales)]
    add("Search ads (disputed)", "Payment", expense("Payment", 10, "Google Ads", ads))
    github = {
        "netAmount": "50.00",
        "taxAmount": "0.00",
        "taxRateRef": {"id": ids.tax_rates[chart.zero_rated]},
        "accountRef": {"id": ids.accounts[chart.software]},
        "trackingRefs": [{"id": ids.tracking[chart.engineering], "dataType": "trackingCategories"}],
    }
    usd = expense("Payment", 12, "GitHub Inc", [github], currency="USD", currencyRate="0.79")
    usd["bankAccountRef"] = {"id": ids.accounts[chart.usd_card]}
    if chart.usd_supplier is not None:
        usd["contactRef"] = {"id": ids.suppliers[chart.usd_supplier], "type": "Supplier"}
    else:
        usd.pop("contactRef", None)
    month.append(
        DemoTransaction(
            id=str(uuid.uuid4()),
            label="GitHub seats, billed in USD",
            kind="Payment",
            endpoint="expense-transactions",
            body=usd,
            amount=Decimal("50.00"),
            currency="USD",
            receipt="github-invoice.pdf",
        )
    )
    returned = [line(chart.office, "20.00")]
    add("Toner returned", "Refund", expense("Refund", 15, "Staples UK", returned))
    cashback = [
        {
            "netAmount": "12.50",
            "taxAmount": "0.00",
            "accountRef": {"id": ids.accounts[chart.cashback]},
        }
    ]
    add("Monthly card cashback", "Reward", expense("Reward", 20, "The Card Company", cashback))
    add(
        "Ads payment disputed and returned",
        "Chargeback",
        expense("Chargeback", 22, "Google Ads", ads),
    )
    claim_lines = [{**line(chart.travel, "30.00"), "description": "Taxi to client site"}]
    month.append(
        DemoTransaction(
            id=str(uuid.uuid4()),
            label="Jane's taxi, paid personally",
            kind="Reimbursable",
            endpoint="reimbursable-expense-transactions",
            body={
                "reference": "Expense claim EC-0001",
                "contactRef": {"id": ids.suppliers[chart.employee]},
                "issueDate": day(24),
                "dueDate": day(28),
                "currency": "GBP",
                "lines": claim_lines,
            },
            amount=total(claim_lines),
            currency="GBP",
            receipt="taxi-receipt.pdf",
        )
    )
    card_owes = sum(
        (
            t.amount if t.body.get("type") == "Payment" else -t.amount
            for t in month
            if t.endpoint == "expense-transactions" and t.currency == "GBP"
        ),
        Decimal(0),
    )
    transfer_id = str(uuid.uuid4())
    month.append(
        DemoTransaction(
            id=transfer_id,
            label="Card bill paid from the bank",
            kind="Transfer",
            endpoint=f"transfer-transactions/{transfer_id}",
            method="PUT",
            body={
                "description": "Company card statement",
                "date": day(28),
                "from": {"accountRef": {"id": ids.accounts[chart.bank]}, "amount": str(card_owes)},
                "to": {"accountRef": card, "amount": str(card_owes)},
            },
            amount=card_owes,
            currency="GBP",
        )
    )
    return month


def previous_month(today: dt.date) -> dt.date:
    """The first day of the month before `today`'s."""
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)
