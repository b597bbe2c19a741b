"""The Xero mapping, without HTTP: posting plans (spendsync.ledger) become Xero documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from spendsync.connectors.xero import mapping
from spendsync.ledger.model import (
    Adjustment,
    AdjustmentLine,
    Expense,
    ExpenseKind,
    ExpenseLine,
    Reimbursable,
    TrackingRef,
)
from spendsync.ledger.posting import (
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
)
from tests.connectors.ledger_documents import DAY, expense, transfer

OPTIONS = {"opt-sales": ("cat-dept", "opt-sales")}


def _expense(kind: ExpenseKind, **overrides: object) -> Expense:
    fields: dict[str, object] = {
        "bank_account_id": "card",
        "contact_id": "pret",
        "lines": (
            ExpenseLine(
                net=Decimal("10.00"),
                tax=Decimal("2.00"),
                account_id="travel",
                tax_rate_id="INPUT2",
                tracking=(TrackingRef("opt-sales"),),
            ),
            ExpenseLine(net=Decimal("5.00"), account_id="meals", description="Coffee"),
        ),
    }
    return expense(kind, **{**fields, **overrides})


def test_a_payment_is_a_spend_with_tax_per_line() -> None:
    body = mapping.bank_transaction(plan_expense(_expense(ExpenseKind.PAYMENT), "GBP"), OPTIONS)
    assert body["Type"] == "SPEND"
    assert body["BankAccount"] == {"AccountID": "card"}
    assert body["Contact"] == {"ContactID": "pret"}
    assert "CurrencyRate" not in body
    first, second = body["LineItems"]
    assert (first["LineAmount"], first["TaxAmount"], first["TaxType"]) == (
        "10.00",
        "2.00",
        "INPUT2",
    )
    assert first["Tracking"] == [
        {"TrackingCategoryID": "cat-dept", "TrackingOptionID": "opt-sales"}
    ]
    assert (second["Description"], second["TaxType"], second["AccountID"]) == (
        "Coffee",
        "NONE",
        "meals",
    )


def test_money_coming_back_is_a_receive_with_the_same_positive_lines() -> None:
    for kind in (ExpenseKind.REFUND, ExpenseKind.REWARD, ExpenseKind.CHARGEBACK):
        body = mapping.bank_transaction(plan_expense(_expense(kind), "GBP"), OPTIONS)
        assert body["Type"] == "RECEIVE"
        assert [line["LineAmount"] for line in body["LineItems"]] == ["10.00", "5.00"]


def test_a_foreign_spend_carries_xeros_inverse_rate() -> None:
    expense = _expense(ExpenseKind.PAYMENT, currency="USD", currency_rate=Decimal("0.8"))
    body = mapping.bank_transaction(plan_expense(expense, "GBP"), OPTIONS)
    assert (body["CurrencyCode"], body["CurrencyRate"]) == ("USD", "1.25")


def test_a_reimbursable_is_an_authorised_bill_to_the_employee() -> None:
    reimbursable = Reimbursable(
        id="r-1",
        contact_id="jane",
        issue_date=DAY,
        due_date=date(2026, 11, 18),
        currency="GBP",
        reference="Claim 7",
        lines=(ExpenseLine(net=Decimal("20"), tax=Decimal("4"), account_id="travel"),),
    )
    body = mapping.bill(plan_reimbursable(reimbursable, "GBP"), OPTIONS)
    assert (body["Type"], body["Status"], body["InvoiceNumber"]) == (
        "ACCPAY",
        "AUTHORISED",
        "Claim 7",
    )
    assert body["Contact"] == {"ContactID": "jane"}
    assert body["DueDate"] == "2026-11-18"


def test_a_transfer_moves_the_from_amount() -> None:
    repayment = transfer(
        "bank", "100 GBP", "card", "100 GBP", id="x-1", description="Card repayment"
    )
    body = mapping.bank_transfer(plan_transfer(repayment, "GBP"))
    assert body["FromBankAccount"] == {"AccountID": "bank"}
    assert body["ToBankAccount"] == {"AccountID": "card"}
    assert (body["Amount"], body["Reference"]) == ("100.00", "Card repayment")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@given(
    debits=st.lists(amounts, min_size=1, max_size=6),
    rate=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=6),
)
def test_a_foreign_adjustment_is_a_balanced_journal_in_base_currency(
    debits: list[Decimal], rate: Decimal
) -> None:
    lines = tuple(AdjustmentLine(amount=d, account_id=f"a{i}") for i, d in enumerate(debits))
    balancing = AdjustmentLine(amount=-sum(debits, Decimal(0)), account_id="suspense")
    adjustment = Adjustment(
        id="j-1", date=DAY, currency="USD", currency_rate=rate, lines=(*lines, balancing)
    )
    codes = {"suspense": "840"}
    body = mapping.manual_journal(plan_adjustment(adjustment, "GBP"), codes, OPTIONS)
    amounts_sent = [Decimal(line["LineAmount"]) for line in body["JournalLines"]]
    # Xero refuses a journal whose lines do not add up to zero, to the penny.
    assert sum(amounts_sent, Decimal(0)) == 0
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts_sent)
    assert body["JournalLines"][-1]["AccountCode"] == "840"
    # Debits stay debits and the credit stays a credit after conversion.
    assert all(a >= 0 for a in amounts_sent[:-1])
    assert amounts_sent[-1] <= 0
