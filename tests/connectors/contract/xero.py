"""The Xero sandbox in the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue
from tests.connectors.conftest import CLIENT_ID, running_xero_sandbox
from tests.connectors.contract.harness import (
    Chart,
    Company,
    WrittenRecord,
    arm_faults,
    faults_met,
)
from tests.connectors.xero_support import XeroBooks, link, spendsync_on

# What each record type is listed under, and which of them count as live.
_COLLECTIONS = ("BankTransactions", "BankTransfers", "Invoices", "ManualJournals")
_DEAD = {"DELETED", "VOIDED"}
# Xero shows each side of a bank transfer as a bank transaction too; the transfer is the record.
_TRANSFER_SIDES = {"SPEND-TRANSFER", "RECEIVE-TRANSFER"}


class XeroHarness:
    name = "xero"
    platform_key = "gbol"
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

    def __init__(self, api: TestClient, sandbox_url: str) -> None:
        self.api = api
        self.url = sandbox_url
        self._tenants: dict[str, str] = {}

    def link(self, headers: dict[str, str]) -> Company:
        linked = link(self.api, headers)
        return Company(linked["id"], linked["connection"], headers)

    def _tenant(self, company: Company) -> str:
        if company.id not in self._tenants:
            info = self.api.get(f"/companies/{company.id}/data/info", headers=company.headers)
            self._tenants[company.id] = str(info.json()["accountingPlatformRef"])
        return self._tenants[company.id]

    def _get(self, company: Company, path: str) -> Any:
        return XeroBooks(self.url, self._tenant(company)).read(path)

    def records(self, company: Company) -> list[WrittenRecord]:
        found: list[WrittenRecord] = []
        for collection in _COLLECTIONS:
            for raw in self._get(company, collection)[collection]:
                if raw.get("Status") in _DEAD or raw.get("Type") in _TRANSFER_SIDES:
                    continue
                found.append(self._record(company, collection, raw))
        return found

    def _record(self, company: Company, collection: str, raw: dict[str, Any]) -> WrittenRecord:
        if collection == "BankTransfers":
            record_id, amount = raw["BankTransferID"], raw["Amount"]
            currency = raw["FromBankAccount"].get("CurrencyCode") or "GBP"
        elif collection == "ManualJournals":
            record_id = raw["ManualJournalID"]
            lines = self._get(company, f"ManualJournals/{record_id}")["ManualJournals"][0]
            amount = sum(
                (
                    Decimal(str(line["LineAmount"]))
                    for line in lines["JournalLines"]
                    if Decimal(str(line["LineAmount"])) > 0
                ),
                Decimal(0),
            )
            currency = self.chart.base_currency
        else:
            key = "BankTransactionID" if collection == "BankTransactions" else "InvoiceID"
            record_id, amount, currency = raw[key], raw["Total"], raw["CurrencyCode"]
        attachments: tuple[str, ...] = ()
        if raw.get("HasAttachments"):
            listed = self._get(company, f"{collection}/{record_id}/Attachments")
            attachments = tuple(a["FileName"] for a in listed["Attachments"])
        return WrittenRecord(
            record_type=collection,
            record_id=record_id,
            amount=Decimal(str(amount)),
            currency=currency,
            attachments=attachments,
        )

    def inject_transient_faults(self) -> int:
        faults = [
            {"kind": "rate_limit", "retry_after_seconds": 0.2},
            {"kind": "error", "status": 503},
            {"kind": "rate_limit", "retry_after_seconds": 0.1, "problem": "concurrent"},
            {"kind": "timeout", "delay_seconds": 30},  # spendsync gives up after 1 s
        ]
        # Xero creates with PUT; the scenario creates.
        return arm_faults(self.url, "PUT", "/api.xro/2.0/*", faults)

    def transient_faults_met(self) -> int:
        return faults_met(self.url)

    def revoke_access(self, company: Company) -> None:
        self._tenant(company)  # remembered for reading the books afterwards
        token = httpx.post(f"{self.url}/_control/xero/tokens", json={"client_id": CLIENT_ID})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for connection in httpx.get(f"{self.url}/connections", headers=bearer).json():
            httpx.delete(f"{self.url}/connections/{connection['id']}", headers=bearer)

    def archive_account(self, company: Company, name: str) -> str:
        options = self.api.get(
            f"/companies/{company.id}/sync/expenses/mappingOptions", headers=company.headers
        ).json()
        code = next(a["nominalCode"] for a in options["accounts"] if a["name"] == name)
        seeded = httpx.post(
            f"{self.url}/_control/seed",
            json={
                "tenantId": self._tenant(company),
                "accounts": [{"Code": code, "Status": "ARCHIVED"}],
            },
        )
        assert seeded.status_code == 200, seeded.text
        return "archived"


@contextmanager
def xero_harness(
    settings: Settings, engine: Engine, worker: JobQueue, tmp_path: Path
) -> Iterator[XeroHarness]:
    with (
        running_xero_sandbox() as url,
        spendsync_on(settings, engine, worker, url, platform_timeout_seconds=1.0) as api,
    ):
        yield XeroHarness(api, url)
