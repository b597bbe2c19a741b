"""What the connector contract suite needs from each platform: a running spendsync linked to
the platform (its sandbox, or a local ledger), names in the seeded books to post to, a way to
read back what was written, and the platform's ways of failing.

A platform joins the suite by implementing `Harness` and adding its factory to
`harnesses.py`; every scenario in `test_contract.py` then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue
from tests.connectors.connector_scenarios import sandbox_counters


@dataclass(frozen=True)
class Chart:
    """Names (as mapping options show them) in the seeded books the scenarios post to."""

    base_currency: str
    card: str  # a card account in the base currency (isBankAccount)
    bank: str  # a bank account in the base currency (transfers pay the card from it)
    expense: str  # an expense account valid for Payments
    other_expense: str  # a second one (updates move a line here; adjustments balance to it)
    income: str  # where Rewards go
    tax_rate: str | None  # a purchase tax rate's name; None when the books have none
    tax_percent: Decimal  # its rate
    supplier: str
    employee: str  # the supplier that reimbursable expenses are owed to
    foreign_card: str | None = None  # a card in `foreign_currency`, where the books have one
    foreign_currency: str | None = None
    # A supplier for spend in `foreign_currency`, where the platform ties suppliers to one
    # currency (QBO refuses a GBP vendor on a USD purchase); None: `supplier`.
    foreign_supplier: str | None = None


@dataclass(frozen=True)
class WrittenRecord:
    """A record as the platform itself shows it, reduced to what every platform has."""

    record_type: str
    record_id: str
    amount: Decimal  # the total, positive, in `currency`
    currency: str
    attachments: tuple[str, ...] = ()  # file names


@dataclass(frozen=True)
class Company:
    id: str
    connection: str
    headers: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """The shape the shared test helpers (wait_for_sync, wait_for_pulls) take."""
        return {"id": self.id, "connection": self.connection, "headers": self.headers}


class Harness(Protocol):
    name: str
    platform_key: str
    chart: Chart
    api: TestClient
    """spendsync's API, configured for this platform (its worker runs in this process)."""

    def link(self, headers: dict[str, str]) -> Company:
        """Create a company and a connection, and link it the way a customer would."""
        ...

    def records(self, company: Company) -> list[WrittenRecord]:
        """Every live (not voided or deleted) record of the types spendsync writes."""
        ...

    def inject_transient_faults(self) -> int:
        """Make the next writes meet the platform's rate limiting and server errors; returns
        how many faults were armed. Harnesses of platforms that cannot fail this way skip."""
        ...

    def transient_faults_met(self) -> int: ...

    def revoke_access(self, company: Company) -> None:
        """The customer withdraws spendsync's access on the platform's side."""
        ...

    def archive_account(self, company: Company, name: str) -> str:
        """Archive (deactivate, close) an account behind spendsync's back; returns a word the
        platform's refusal to post to it contains."""
        ...


HarnessFactory = Callable[[Settings, Engine, JobQueue, Path], AbstractContextManager[Harness]]


def arm_faults(sandbox_url: str, method: str, path: str, faults: list[dict[str, Any]]) -> int:
    """Through a sandbox's control plane: the next `method` calls to `path` meet `faults`,
    one each, in order; returns how many were armed."""
    rule = {"method": method, "path": path, "faults": faults}
    assert httpx.post(f"{sandbox_url}/_control/faults", json=rule).status_code == 201
    return len(faults)


def faults_met(sandbox_url: str) -> int:
    """How many armed faults a sandbox has served so far."""
    return sum(sandbox_counters(sandbox_url)["injectedFaults"].values())
