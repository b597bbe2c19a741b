"""A Beancount ledger in the contract suite: spendsync links a new ledger file, and the books are
read back with Beancount's own `bean-query` (a separate process; spendsync never imports the
GPL-licensed beancount)."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.connectors.beancount.files import beancount_tool
from spendsync.connectors.errors import NotSupported
from spendsync.jobs.engine import JobQueue
from tests.conftest import PUBLIC_URL
from tests.connectors.contract.harness import Chart, Company, WrittenRecord
from tests.connectors.platform_settings import spendsync_for_platform


def require_beancount() -> None:
    """Skip (with the way to install it) where Beancount's tools are missing."""
    try:
        beancount_tool("bean-check")
        beancount_tool("bean-query")
    except NotSupported:
        pytest.skip("Beancount is not installed: pip install -e '.[beancount]' (or '.[dev]')")


def bean_query(ledger: Path, query: str) -> list[dict[str, str]]:
    done = subprocess.run(
        [beancount_tool("bean-query"), "-f", "csv", str(ledger), query],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        {key: value.strip() for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(done.stdout))
    ]


def bean_check_errors(ledger: Path) -> str:
    done = subprocess.run(
        [beancount_tool("bean-check"), str(ledger)], capture_output=True, text=True, check=False
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


def link_beancount(api: TestClient, headers: dict[str, str], name: str = "Demo UK") -> Company:
    company = api.post("/companies", json={"name": name}, headers=headers).json()
    connection = api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "bean"}, headers=headers
    ).json()
    start = urlparse(connection["linkUrl"])
    redirected = api.get(f"{start.path}?{start.query}", follow_redirects=False)
    assert redirected.status_code == 302, redirected.text
    back = urlparse(redirected.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{PUBLIC_URL}/link/callback/beancount"
    done = api.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.text
    assert "connected" in done.text
    return Company(company["id"], connection["id"], headers)


def ledger_records(ledger: Path) -> list[WrittenRecord]:
    """spendsync's entries as Beancount itself reads them, with their linked documents."""
    postings = bean_query(
        ledger,
        "SELECT entry_meta('spendsync_id') AS id, number, currency "
        "WHERE entry_meta('spendsync_id') IS NOT NULL",
    )
    documents = bean_query(ledger, "SELECT filename, links FROM #documents")
    totals: dict[str, dict[str, Decimal]] = {}
    for row in postings:
        amount = Decimal(row["number"])
        by_currency = totals.setdefault(row["id"], {})
        if amount > 0:
            by_currency[row["currency"]] = by_currency.get(row["currency"], Decimal(0)) + amount
    found: list[WrittenRecord] = []
    for record_id, by_currency in totals.items():
        currency = max(by_currency, key=lambda c: by_currency[c])
        attachments = tuple(
            Path(d["filename"]).name for d in documents if f"'{record_id}'" in d["links"]
        )
        found.append(
            WrittenRecord("Transaction", record_id, by_currency[currency], currency, attachments)
        )
    return found


class BeancountHarness:
    name = "beancount"
    platform_key = "bean"
    chart = Chart(
        base_currency="GBP",
        card="Company Card",
        bank="Business Bank Account",
        expense="Travel - National",
        other_expense="General Expenses",
        income="Card Cashback Rewards",
        tax_rate="20% (VAT on Expenses)",
        tax_percent=Decimal(20),
        supplier="Pret A Manger",
        employee="Jane Cooper",
        foreign_card="USD Card",
        foreign_currency="USD",
    )

    def __init__(self, api: TestClient, ledgers_dir: Path) -> None:
        self.api = api
        self.ledgers_dir = ledgers_dir
        self._moved: dict[str, Path] = {}

    def link(self, headers: dict[str, str]) -> Company:
        return link_beancount(self.api, headers)

    def ledger(self, company: Company) -> Path:
        return self._moved.get(company.id) or self.ledgers_dir / company.id / "main.beancount"

    def records(self, company: Company) -> list[WrittenRecord]:
        return ledger_records(self.ledger(company))

    def inject_transient_faults(self) -> int:
        pytest.skip(
            "A local ledger has no rate limits or server errors; a lock held by another "
            "writer (its transient failure) is tested in test_beancount_connector."
        )

    def transient_faults_met(self) -> int:
        return 0

    def revoke_access(self, company: Company) -> None:
        """The customer takes the ledger away (moves the file out of spendsync's reach)."""
        ledger = self.ledger(company)
        moved = ledger.with_name("moved.beancount.bak")
        ledger.rename(moved)
        self._moved[company.id] = moved

    def archive_account(self, company: Company, name: str) -> str:
        options = self.api.get(
            f"/companies/{company.id}/sync/expenses/mappingOptions", headers=company.headers
        ).json()
        account = next(a["id"] for a in options["accounts"] if a["name"] == name)
        with self.ledger(company).open("a", encoding="utf-8") as ledger:
            ledger.write(f"\n2026-01-02 close {account}\n")
        return "closed"


@contextmanager
def beancount_harness(
    settings: Settings, engine: Engine, worker: JobQueue, tmp_path: Path
) -> Iterator[BeancountHarness]:
    require_beancount()
    ledgers = tmp_path / "ledgers"
    # The worker opens ledgers with its own settings: both get this test's ledgers folder.
    update = {"beancount_ledgers_dir": ledgers}
    with spendsync_for_platform(settings, engine, worker, update) as client:
        yield BeancountHarness(client, ledgers)
