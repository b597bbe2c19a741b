"""`spendsync demo` end to end: a real server process on the embedded default, the month pushed
through the HTTP API into a new Beancount ledger, which Beancount itself then checks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from spendsync.cli import app
from spendsync.demo.month import Ids, demo_month
from spendsync.demo.platforms import BEANCOUNT_CHART
from spendsync.demo.run import run_demo
from tests.connectors.contract.beancount import bean_check_errors, bean_query, require_beancount

# What the month leaves in the books (the default chart opens the bank with 25,000.00).
EXPECTED = {
    "Assets:Bank:Current": "24766.50 GBP",
    "Assets:VAT:Input": "27.00 GBP",
    "Equity:OpeningBalances": "-25000.00 GBP",
    "Expenses:Advertising": "",
    "Expenses:Meals": "45.00 GBP",
    "Expenses:Office": "60.00 GBP",
    "Expenses:Software": "50.00 USD",
    "Expenses:Travel:National": "150.00 GBP",
    "Income:CardCashback": "-12.50 GBP",
    "Liabilities:AccountsPayable": "-36.00 GBP",
    "Liabilities:CreditCard:Company": "",
    "Liabilities:CreditCard:USD": "-50.00 USD",
}


def _ids() -> Ids:
    chart = BEANCOUNT_CHART
    names = [
        chart.card, chart.usd_card, chart.bank, chart.meals, chart.travel, chart.office,
        chart.software, chart.advertising, chart.cashback,
    ]  # fmt: skip
    return Ids(
        accounts={n: f"acct-{n}" for n in names},
        tax_rates={chart.vat: "VAT20", chart.zero_rated: "ZERO"},
        tracking={chart.sales: "sales", chart.engineering: "engineering"},
        suppliers={"Pret A Manger": "Pret A Manger", chart.employee: chart.employee},
    )


def test_the_month_pays_the_card_off_exactly() -> None:
    month = demo_month(BEANCOUNT_CHART, _ids(), dt.date(2026, 10, 1))
    kinds = {t.kind for t in month}
    assert kinds == {"Payment", "Refund", "Reward", "Chargeback", "Reimbursable", "Transfer"}
    transfer = next(t for t in month if t.kind == "Transfer")
    assert transfer.amount == Decimal("233.50")
    assert {t.currency for t in month} == {"GBP", "USD"}
    assert sum(1 for t in month if t.receipt) == 4
    assert all(t.body.get("issueDate", t.body.get("date", "")).startswith("2026-10") for t in month)


@pytest.mark.live
def test_demo_pushes_a_month_into_a_ledger_that_beancount_accepts(tmp_path: Path) -> None:
    require_beancount()
    output = io.StringIO()
    result = run_demo(
        tmp_path / "demo",
        console=Console(file=output, width=200),
        today=dt.date(2026, 11, 25),
    )
    assert len(result.statuses) == len(result.month) == 10
    assert set(result.statuses.values()) == {"Completed"}, output.getvalue()
    assert result.ledger is not None
    assert bean_check_errors(result.ledger) == ""
    assert dict(result.balances) == EXPECTED
    documents = bean_query(result.ledger, "SELECT filename FROM #documents")
    assert sorted(Path(d["filename"]).name for d in documents) == [
        "github-invoice.pdf",
        "pret-receipt.pdf",
        "staples-receipt.pdf",
        "taxi-receipt.pdf",
    ]
    entries = bean_query(
        result.ledger,
        "SELECT DISTINCT entry_meta('spendsync_id') AS id "
        "WHERE entry_meta('spendsync_id') IS NOT NULL",
    )
    assert sorted(e["id"] for e in entries) == sorted(t.id for t in result.month)
    printed = output.getvalue()
    assert "fava " in printed
    assert str(result.ledger.name) in printed


def test_demo_command_reports_a_failure_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spendsync.demo import run

    def failing(*args: object, **kwargs: object) -> None:
        raise run.DemoFailed("spendsync serve did not start")

    monkeypatch.setattr(run, "run_demo", failing)
    outcome = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert outcome.exit_code == 1
    assert "did not start" in outcome.output


@pytest.mark.live
@pytest.mark.parametrize(
    ("platform", "key"), [("xero", "gbol"), ("quickbooksonline", "qhyg")], ids=["xero", "qbo"]
)
def test_the_same_month_runs_on_a_platform_sandbox(tmp_path: Path, platform: str, key: str) -> None:
    output = io.StringIO()
    result = run_demo(
        tmp_path / "demo",
        platform,
        console=Console(file=output, width=200),
        today=dt.date(2026, 11, 25),
    )
    assert result.platform == key
    assert len(result.statuses) == 10
    assert set(result.statuses.values()) == {"Completed"}, output.getvalue()
    assert "not attached" not in output.getvalue()
