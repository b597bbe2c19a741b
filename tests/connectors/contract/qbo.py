"""The QuickBooks Online sandbox (its UK company: VAT, multicurrency) in the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from spendsync.config import Settings
from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.credentials import CredentialStore
from spendsync.jobs.engine import JobQueue
from tests.connectors.contract.harness import (
    Chart,
    Company,
    WrittenRecord,
    arm_faults,
    faults_met,
)
from tests.connectors.qbo_support import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    UK_REALM_ID,
    QboBooks,
    link_qbo,
    running_qbo_sandbox,
    spendsync_on_qbo,
)

# The record types spendsync writes, and where each keeps its total.
_TOTALS = {
    "Purchase": "TotalAmt",
    "Deposit": "TotalAmt",
    "Transfer": "Amount",
    "Bill": "TotalAmt",
    "JournalEntry": "TotalAmt",
}


class QboHarness:
    name = "qbo"
    platform_key = "qhyg"
    chart = Chart(
        base_currency="GBP",
        card="Company Card",
        bank="Current Account",
        expense="Travel",
        other_expense="Meals",
        income="Sales",
        tax_rate="20.0% S",
        tax_percent=Decimal(20),
        supplier="Pret A Manger",
        employee="Alice Brown",
        foreign_card="USD Card",
        foreign_currency="USD",
        foreign_supplier="Amazon US",
    )

    def __init__(self, api: TestClient, sandbox_url: str, settings: Settings, engine: Engine):
        self.api = api
        self.url = sandbox_url
        self.books = QboBooks(sandbox_url, UK_REALM_ID)
        self._context = LedgerContext(
            settings=settings, session_factory=sessionmaker(engine, expire_on_commit=False)
        )

    def link(self, headers: dict[str, str]) -> Company:
        linked = link_qbo(self.api, headers)
        return Company(linked["id"], linked["connection"], headers)

    def records(self, company: Company) -> list[WrittenRecord]:
        found: list[WrittenRecord] = []
        for entity, total in _TOTALS.items():
            for raw in self.books.query(f"select * from {entity}"):
                attached = self.books.query(
                    f"select * from Attachable where AttachableRef.EntityRef.value = '{raw['Id']}'"
                )
                found.append(
                    WrittenRecord(
                        record_type=entity,
                        record_id=str(raw["Id"]),
                        amount=Decimal(str(raw[total])),
                        currency=str(
                            (raw.get("CurrencyRef") or {}).get("value") or self.chart.base_currency
                        ),
                        attachments=tuple(str(a["FileName"]) for a in attached),
                    )
                )
        return found

    def inject_transient_faults(self) -> int:
        faults: list[dict[str, Any]] = [
            {"kind": "rate_limit", "retry_after_seconds": 0.2},
            {"kind": "error", "status": 503},
            {"kind": "timeout", "delay_seconds": 30},  # spendsync gives up after 1 s
        ]
        return arm_faults(self.url, "POST", "/v3/company/*", faults)

    def transient_faults_met(self) -> int:
        return faults_met(self.url)

    def revoke_access(self, company: Company) -> None:
        """The customer disconnects spendsync in QuickBooks: Intuit ends the app's grant."""
        with Session(self._context.session_factory.kw["bind"]) as session:
            connection_id = session.scalar(
                select(Connection.id).where(Connection.id == company.connection)
            )
        assert connection_id is not None
        refresh_token = CredentialStore(self._context, connection_id).load()["refresh_token"]
        revoked = httpx.post(
            f"{self.url}/v2/oauth2/tokens/revoke",
            json={"token": refresh_token},
            auth=(QBO_CLIENT_ID, QBO_CLIENT_SECRET),
        )
        assert revoked.status_code == 200, revoked.text

    def archive_account(self, company: Company, name: str) -> str:
        self.books.seed({"entities": {"Account": [{"Name": name, "Active": False}]}})
        return "inactive"


@contextmanager
def qbo_harness(
    settings: Settings, engine: Engine, worker: JobQueue, tmp_path: Path
) -> Iterator[QboHarness]:
    with (
        running_qbo_sandbox(UK_REALM_ID) as url,
        spendsync_on_qbo(settings, engine, worker, url, platform_timeout_seconds=1.0) as api,
    ):
        yield QboHarness(api, url, settings, engine)
