"""The QuickBooks Online mapping, without HTTP: QBO records become reference records, posting
plans (spendsync.ledger) become QBO documents, and QBO's answers are classified by one table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spendsync.connectors.errors import AuthFailure, RecordValidation, Transient
from spendsync.connectors.qbo import mapping
from spendsync.connectors.qbo.connector import Refused, classify, request_id
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerContact,
    NewAccount,
    RecordStatus,
)
from spendsync.ledger.model import (
    Adjustment,
    AdjustmentLine,
    Expense,
    ExpenseKind,
    ExpenseLine,
    InvoiceTo,
    Reimbursable,
    TrackingDataType,
    TrackingRef,
)
from spendsync.ledger.posting import (
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
)
from tests.connectors.ledger_documents import DAY, expense, transfer

UK = mapping.Books(
    home_currency="GBP",
    multicurrency=True,
    vat=True,
    account_types={"card": "Credit Card", "bank": "Bank", "usd-card": "Credit Card"},
)
US = mapping.Books(
    home_currency="USD",
    multicurrency=False,
    vat=False,
    account_types={"card": "Credit Card", "bank": "Bank"},
)


def _expense(kind: ExpenseKind, **overrides: Any) -> Expense:
    fields: dict[str, Any] = {
        "bank_account_id": "card",
        "contact_id": "56",
        "notes": "Team lunch",
        "reference": "R-1",
        "lines": (
            ExpenseLine(
                net=Decimal("10.00"),
                tax=Decimal("2.00"),
                account_id="7",
                tax_rate_id="3",
                tracking=(TrackingRef("class-12"), TrackingRef("department-4")),
            ),
            ExpenseLine(
                net=Decimal("5.00"),
                account_id="8",
                invoice_to=InvoiceTo("cust-9"),
                tracking=(TrackingRef("department-4"),),
            ),
        ),
    }
    return expense(kind, **{**fields, **overrides})


# -- reading ---------------------------------------------------------------------------------


def test_a_credit_card_account_is_a_liability_bank_account() -> None:
    account = mapping.account_from_qbo(
        {
            "Id": "41",
            "Name": "Company Card",
            "FullyQualifiedName": "Company Card",
            "AccountType": "Credit Card",
            "Classification": "Liability",
            "Active": True,
            "MetaData": {"LastUpdatedTime": "2024-01-01T04:00:00-08:00"},
        },
        "USD",
    )
    assert account.bank_kind is BankKind.CREDIT_CARD
    assert account.is_bank_account
    assert (account.account_type, account.category) == (
        AccountType.LIABILITY,
        "Liability.CreditCard",
    )
    assert account.currency == "USD"  # no CurrencyRef: the home currency
    assert account.modified == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_a_sub_account_is_named_by_its_path_and_keeps_its_currency() -> None:
    account = mapping.account_from_qbo(
        {
            "Id": "9",
            "Name": "Airfare",
            "FullyQualifiedName": "Travel:Airfare",
            "AccountType": "Expense",
            "Classification": "Expense",
            "SubAccount": True,
            "ParentRef": {"value": "8"},
            "CurrencyRef": {"value": "EUR"},
            "AcctNum": "6010",
            "Active": False,
        },
        "GBP",
    )
    assert account.name == "Travel:Airfare"
    assert (account.currency, account.nominal_code) == ("EUR", "6010")
    assert account.category == "Expense.Expense"
    assert account.status is RecordStatus.ARCHIVED
    assert not account.is_bank_account


def test_cost_of_goods_sold_and_income_categories() -> None:
    cogs = mapping.account_from_qbo({"Id": "1", "AccountType": "Cost of Goods Sold"}, "GBP")
    income = mapping.account_from_qbo({"Id": "2", "AccountType": "Other Income"}, "GBP")
    assert cogs.category == "Expense.CostOfGoodsSold"
    assert (income.account_type, income.category) == (AccountType.INCOME, "Income.OtherIncome")


def test_a_vat_code_reports_its_rate_and_a_us_code_serves_both_sides() -> None:
    rates = {"5": {"Id": "5", "RateValue": 20}, "6": {"Id": "6", "RateValue": 5}}
    detail = {"TaxRateDetail": [{"TaxRateRef": {"value": "5"}}]}
    vat = mapping.tax_rate_from_qbo(
        {"Id": "3", "Name": "20.0% S", "PurchaseTaxRateList": detail, "SalesTaxRateList": detail},
        rates,
    )
    assert (vat.effective_rate, vat.total_rate) == (Decimal(20), Decimal(20))
    assert vat.for_purchases
    assert vat.for_sales
    sales_only = mapping.tax_rate_from_qbo(
        {
            "Id": "4",
            "Name": "5.0% R (sales)",
            "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "6"}}]},
        },
        rates,
    )
    assert sales_only.effective_rate == 5
    assert (sales_only.for_purchases, sales_only.for_sales) == (False, True)
    us = mapping.tax_rate_from_qbo({"Id": "TAX", "Name": "TAX", "Taxable": True}, rates)
    assert (us.id, us.effective_rate, us.for_purchases, us.for_sales) == ("TAX", 0, True, True)


def test_classes_and_departments_are_two_trees() -> None:
    found = {
        t.id: t
        for t in mapping.tracking_from_qbo(
            [
                {"Id": "1", "Name": "Engineering", "FullyQualifiedName": "Engineering"},
                {
                    "Id": "2",
                    "Name": "Platform",
                    "FullyQualifiedName": "Engineering:Platform",
                    "SubClass": True,
                    "ParentRef": {"value": "1"},
                },
            ],
            [{"Id": "1", "Name": "London", "Active": False}],
            "Location",
        )
    }
    assert found["classes"].has_children
    assert found["departments"].name == "Location"
    assert found["class-1"].parent_id == "classes"
    assert found["class-1"].has_children
    assert found["class-2"].parent_id == "class-1"
    assert found["class-2"].name == "Engineering:Platform"
    assert found["department-1"].parent_id == "departments"
    assert found["department-1"].status is RecordStatus.ARCHIVED
    assert mapping.tracking_from_qbo([], []) == []


def test_employees_are_suppliers_with_their_own_ids() -> None:
    employee = mapping.contact_from_qbo(
        {"Id": "60", "GivenName": "Alice", "FamilyName": "Brown"}, "Employee"
    )
    assert (employee.id, employee.name, employee.is_supplier) == (
        "employee-60",
        "Alice Brown",
        True,
    )
    vendor = mapping.contact_from_qbo(
        {"Id": "61", "DisplayName": "Amazon US", "CurrencyRef": {"value": "USD"}}, "Vendor"
    )
    assert (vendor.id, vendor.currency, vendor.is_customer) == ("61", "USD", False)


def test_contact_and_account_bodies() -> None:
    body = mapping.contact_to_qbo(
        LedgerContact("", "Acme", is_supplier=True, is_customer=False, email="a@acme.test")
    )
    assert body == {
        "DisplayName": "Acme",
        "Active": True,
        "PrimaryEmailAddr": {"Address": "a@acme.test"},
    }
    card = mapping.account_to_qbo(
        NewAccount("Amex", AccountType.LIABILITY, "Liability.CreditCard", currency="USD")
    )
    assert card == {"Name": "Amex", "AccountType": "Credit Card", "CurrencyRef": {"value": "USD"}}
    with pytest.raises(mapping.Unmappable):
        mapping.account_to_qbo(NewAccount("X", AccountType.EXPENSE, "Expense.Nowhere"))


def test_company_info_takes_the_home_currency_from_preferences() -> None:
    info = mapping.company_info_from_qbo(
        {"CompanyName": "Demo UK Ltd", "FiscalYearStartMonth": "April"},
        {"CurrencyPrefs": {"HomeCurrency": {"value": "GBP"}, "MultiCurrencyEnabled": True}},
    )
    assert (info.company_name, info.base_currency) == ("Demo UK Ltd", "GBP")
    assert info.financial_year_start_date == datetime(2000, 4, 1, tzinfo=UTC)


# -- writing ---------------------------------------------------------------------------------


def test_a_card_payment_is_a_credit_card_purchase_with_tracking_and_billable_lines() -> None:
    plan = plan_expense(_expense(ExpenseKind.PAYMENT), "GBP")
    assert mapping.expense_record_type(plan, UK) == "Purchase"
    body = mapping.purchase(plan, UK)
    assert body["PaymentType"] == "CreditCard"
    assert body["Credit"] is False
    assert body["AccountRef"] == {"value": "card"}
    assert body["EntityRef"] == {"value": "56", "type": "Vendor"}
    assert body["DepartmentRef"] == {"value": "4"}
    assert body["GlobalTaxCalculation"] == "TaxExcluded"
    assert (body["TxnDate"], body["DocNumber"]) == ("2026-11-04", "R-1")
    assert body["PrivateNote"] == "Pret A Manger - Team lunch"
    assert body["CurrencyRef"] == {"value": "GBP"}
    assert "ExchangeRate" not in body
    first, second = body["Line"]
    assert first["Amount"] == 10.0  # net: QBO adds the code's tax
    assert first["AccountBasedExpenseLineDetail"] == {
        "AccountRef": {"value": "7"},
        "TaxCodeRef": {"value": "3"},
        "ClassRef": {"value": "12"},
    }
    assert second["AccountBasedExpenseLineDetail"] == {
        "AccountRef": {"value": "8"},
        "CustomerRef": {"value": "cust-9"},
        "BillableStatus": "Billable",
    }


@pytest.mark.parametrize("kind", [ExpenseKind.REFUND, ExpenseKind.REWARD, ExpenseKind.CHARGEBACK])
def test_money_back_on_a_card_is_a_credit_and_on_a_bank_account_a_deposit(
    kind: ExpenseKind,
) -> None:
    on_card = plan_expense(_expense(kind), "GBP")
    assert mapping.expense_record_type(on_card, UK) == "Purchase"
    assert mapping.purchase(on_card, UK)["Credit"] is True
    on_bank = plan_expense(_expense(kind, bank_account_id="bank"), "GBP")
    assert mapping.expense_record_type(on_bank, UK) == "Deposit"
    deposit = mapping.deposit(on_bank, UK)
    assert deposit["DepositToAccountRef"] == {"value": "bank"}
    assert [line["Amount"] for line in deposit["Line"]] == [10.0, 5.0]
    assert deposit["Line"][0]["DepositLineDetail"]["Entity"] == {"value": "56"}


def test_a_bank_payment_is_a_cash_purchase_without_credit() -> None:
    body = mapping.purchase(
        plan_expense(_expense(ExpenseKind.PAYMENT, bank_account_id="bank"), "GBP"), UK
    )
    assert body["PaymentType"] == "Cash"
    assert "Credit" not in body


def test_a_non_card_account_cannot_carry_spend() -> None:
    plan = plan_expense(_expense(ExpenseKind.PAYMENT, bank_account_id="7"), "GBP")
    with pytest.raises(mapping.Unmappable, match="not a QuickBooks bank or credit card"):
        mapping.expense_record_type(plan, UK)


def test_untaxed_vat_lines_are_not_applicable_and_us_tax_is_the_total_tax() -> None:
    untaxed = _expense(
        ExpenseKind.PAYMENT, lines=(ExpenseLine(net=Decimal("10.00"), account_id="7"),)
    )
    assert mapping.purchase(plan_expense(untaxed, "GBP"), UK)["GlobalTaxCalculation"] == (
        "NotApplicable"
    )
    us = mapping.purchase(plan_expense(_expense(ExpenseKind.PAYMENT, currency="USD"), "USD"), US)
    assert "GlobalTaxCalculation" not in us
    assert "CurrencyRef" not in us
    assert us["TxnTaxDetail"] == {"TotalTax": 2.0}
    assert us["Line"][1]["AccountBasedExpenseLineDetail"]["TaxCodeRef"] == {"value": "NON"}


def test_foreign_spend_carries_the_currency_and_codats_rate_as_is() -> None:
    plan = plan_expense(
        _expense(
            ExpenseKind.PAYMENT,
            currency="USD",
            currency_rate=Decimal("0.79"),
            bank_account_id="usd-card",
        ),
        "GBP",
    )
    body = mapping.purchase(plan, UK)
    # QBO's ExchangeRate is home units per foreign unit, like Codat's currencyRate.
    assert (body["CurrencyRef"], body["ExchangeRate"]) == ({"value": "USD"}, 0.79)
    with pytest.raises(mapping.Unmappable, match="Multicurrency is off"):
        mapping.purchase(
            plan_expense(
                _expense(ExpenseKind.PAYMENT, currency="EUR", currency_rate=Decimal("1.1")),
                "USD",
            ),
            US,
        )


def test_one_location_per_transaction() -> None:
    lines = (
        ExpenseLine(net=Decimal(1), account_id="7", tracking=(TrackingRef("department-1"),)),
        ExpenseLine(net=Decimal(1), account_id="7", tracking=(TrackingRef("department-2"),)),
    )
    with pytest.raises(mapping.Unmappable, match="one location"):
        mapping.purchase(plan_expense(_expense(ExpenseKind.PAYMENT, lines=lines), "GBP"), UK)


def test_an_employee_on_a_purchase_is_an_employee_entity() -> None:
    body = mapping.purchase(
        plan_expense(_expense(ExpenseKind.PAYMENT, contact_id="employee-60"), "GBP"), UK
    )
    assert body["EntityRef"] == {"value": "60", "type": "Employee"}
    customer = mapping.purchase(
        plan_expense(_expense(ExpenseKind.REFUND, contact_type="Customer"), "GBP"), UK
    )
    assert customer["EntityRef"] == {"value": "56", "type": "Customer"}


def test_transfers_move_the_foreign_side_at_the_implied_rate() -> None:
    same = mapping.transfer(
        plan_transfer(
            transfer("bank", "100 GBP", "card", "100 GBP", description="Card repayment"), "GBP"
        ),
        UK,
    )
    assert same == {
        "FromAccountRef": {"value": "bank"},
        "ToAccountRef": {"value": "card"},
        "Amount": 100.0,
        "TxnDate": "2026-11-04",
        "CurrencyRef": {"value": "GBP"},
        "PrivateNote": "Card repayment",
    }
    cross = mapping.transfer(
        plan_transfer(transfer("bank", "79 GBP", "usd-card", "100 USD"), "GBP"),
        UK,
    )
    assert (cross["Amount"], cross["CurrencyRef"], cross["ExchangeRate"]) == (
        100.0,
        {"value": "USD"},
        0.79,
    )


def test_a_reimbursable_is_a_bill_to_the_employees_vendor() -> None:
    reimbursable = Reimbursable(
        id="r",
        contact_id="employee-60",
        issue_date=DAY,
        due_date=date(2026, 11, 18),
        currency="GBP",
        reference="Claim 7",
        notes="Conference",
        lines=(
            ExpenseLine(
                net=Decimal("50"),
                tax=Decimal("10"),
                account_id="7",
                tax_rate_id="3",
                description="Train",
            ),
        ),
    )
    body = mapping.bill(plan_reimbursable(reimbursable, "GBP"), UK, "77")
    assert body["VendorRef"] == {"value": "77"}
    assert "APAccountRef" not in body  # QBO's own accounts payable
    assert (body["DueDate"], body["DocNumber"], body["PrivateNote"]) == (
        "2026-11-18",
        "Claim 7",
        "Conference",
    )
    assert body["Line"][0]["Description"] == "Train"
    with_ap = mapping.bill(
        plan_reimbursable(Reimbursable(**{**reimbursable.__dict__, "ap_account_id": "33"}), "GBP"),
        UK,
        "77",
    )
    assert with_ap["APAccountRef"] == {"value": "33"}
    assert mapping.employee_vendor_name("Alice Brown", "GBP", "GBP") == "Alice Brown (expenses)"
    assert mapping.employee_vendor_name("Alice Brown", "USD", "GBP") == (
        "Alice Brown (expenses, USD)"
    )


def test_an_adjustment_is_a_balanced_journal_entry() -> None:
    adjustment = Adjustment(
        id="a",
        date=DAY,
        currency="GBP",
        reference="Reclass",
        lines=(
            AdjustmentLine(
                Decimal("12.50"),
                "7",
                "Move",
                tracking=(TrackingRef("class-12"), TrackingRef("department-4")),
            ),
            AdjustmentLine(
                Decimal("-12.50"),
                "33",
                tracking=(TrackingRef("56", TrackingDataType.SUPPLIERS),),
            ),
        ),
    )
    body = mapping.journal_entry(plan_adjustment(adjustment, "GBP"), UK)
    debit, credit = body["Line"]
    assert (debit["Amount"], credit["Amount"]) == (12.5, 12.5)
    assert debit["JournalEntryLineDetail"] == {
        "PostingType": "Debit",
        "AccountRef": {"value": "7"},
        "ClassRef": {"value": "12"},
        "DepartmentRef": {"value": "4"},
    }
    assert credit["JournalEntryLineDetail"]["PostingType"] == "Credit"
    assert credit["JournalEntryLineDetail"]["Entity"] == {
        "Type": "Vendor",
        "EntityRef": {"value": "56"},
    }
    assert (body["DocNumber"], body["PrivateNote"]) == ("Reclass", "Reclass")


@given(
    st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
        min_size=1,
        max_size=8,
    )
)
def test_journal_entries_always_balance(amounts: list[Decimal]) -> None:
    lines = [AdjustmentLine(amount, "7") for amount in amounts]
    lines.append(AdjustmentLine(-sum(amounts, Decimal(0)), "8"))
    body = mapping.journal_entry(
        plan_adjustment(Adjustment(id="a", date=DAY, currency="GBP", lines=tuple(lines)), "GBP"),
        UK,
    )
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    for line in body["Line"]:
        assert line["Amount"] >= 0
        totals[line["JournalEntryLineDetail"]["PostingType"]] += Decimal(str(line["Amount"]))
    assert totals["Debit"] == totals["Credit"]


# -- answers ---------------------------------------------------------------------------------


def _fault(code: str, fault_type: str = "ValidationFault") -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [
                {
                    "Message": "Object Not Found",
                    "Detail": "Object Not Found : Something you're trying to use has been made "
                    "inactive.",
                    "code": code,
                    "element": "Line[0].AccountRef",
                }
            ],
            "type": fault_type,
        }
    }


def test_one_table_classifies_every_answer() -> None:
    throttled = classify(429, {}, "7")
    assert isinstance(throttled, Transient)
    assert throttled.retry_after == 7
    assert isinstance(classify(429, {}, None), Transient)
    assert isinstance(classify(503, {}, None), Transient)
    assert isinstance(classify(200, _fault("10000", "SystemFault"), None), Transient)
    assert isinstance(classify(401, {}, None), AuthFailure)
    assert isinstance(classify(403, _fault("3100", "AuthorizationFault"), None), AuthFailure)
    refused = classify(400, _fault("610"), None)
    assert isinstance(refused, RecordValidation)
    assert isinstance(refused, Refused)
    assert refused.codes == {"610"}
    assert "made inactive" in str(refused)
    assert "Line[0].AccountRef" in str(refused)
    # A 200 with a Fault in it is still a refusal.
    assert isinstance(classify(200, _fault("6000"), None), RecordValidation)
    assert classify(200, {"Purchase": {"Id": "1"}}, None) is None


def test_request_ids_fit_qbo() -> None:
    assert request_id("a" * 40) == "a" * 40
    assert len(request_id("a" * 60)) == 40
    assert request_id("x", "1") != request_id("x", "2")
    assert len(request_id("k1", "k2", length=36)) == 36
