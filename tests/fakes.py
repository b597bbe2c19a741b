"""Test doubles shared by the engine tests: a ledger that records what it is asked to write
and serves reference data it is given, registered as a platform's connector."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import CompanyInformation, PlatformRecord, PushItem, PushOutcome
from spendsync.connectors.errors import RecordValidation, Transient
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    LedgerTaxRate,
    LedgerTrackingCategory,
    RecordStatus,
    ReferenceDataType,
    ReferenceRead,
)
from spendsync.connectors.registry import (
    PlatformKey,
    register_ledger,
    registered_ledger,
    unregister_ledger,
)
from spendsync.db.engine import make_session_factory
from tests.conftest import auth


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing after the raise runs (not an Exception,
    so no handler of the engine's takes it for a platform answer)."""


@dataclass
class RecordingLedger:
    """Writes into a list; refuses merchants named REJECT; can be made briefly unavailable."""

    pushes: list[PushItem] = field(default_factory=list)
    unavailable_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    max_batch_size: int = 3
    max_concurrent_pushes: int = 1

    @property
    def round_calls(self) -> int:
        return 4 * self.max_concurrent_pushes

    def opener(self, _connection: Connection, _context: object) -> RecordingLedger:
        return self

    reference: dict[ReferenceDataType, list[LedgerRecord]] = field(default_factory=dict)
    reads: list[tuple[ReferenceDataType, datetime | None]] = field(default_factory=list)

    def read(self, data_type: ReferenceDataType, modified_since: datetime | None) -> ReferenceRead:
        with self.lock:
            if self.unavailable_calls > 0:
                self.unavailable_calls -= 1
                raise Transient("Rate limit exceeded", retry_after=0.1)
            self.reads.append((data_type, modified_since))
            return ReferenceRead(data_type, list(self.reference.get(data_type, [])))

    attachments: list[tuple[PlatformRecord, str, str, bytes]] = field(default_factory=list)

    def attach(
        self, record: PlatformRecord, file_name: str, content_type: str, content: bytes
    ) -> str:
        with self.lock:
            if self.unavailable_calls > 0:
                self.unavailable_calls -= 1
                raise Transient("Service unavailable", retry_after=1)
            self.attachments.append((record, file_name, content_type, content))
            return f"ATT-{len(self.attachments)}"

    def close(self) -> None:
        pass

    saved_contacts: list[LedgerContact] = field(default_factory=list)

    def save_contact(
        self, data_type: ReferenceDataType, contact: LedgerContact, existing_id: str | None
    ) -> LedgerContact:
        if contact.name == "REJECT":
            raise RecordValidation(
                "The contact name REJECT is already assigned to another contact."
            )
        saved = replace(contact, id=existing_id or f"C-{len(self.saved_contacts) + 1}")
        self.saved_contacts.append(saved)
        return saved

    def get_company_info(self) -> CompanyInformation:
        return CompanyInformation(company_name="Recorded", base_currency="GBP")

    defect: bool = False
    # Pushes wait for `hold` (when set) and take `push_seconds`; `in_flight` counts those
    # running at once, and `most_in_flight` the most seen.
    hold: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)
    # When set, only the pushes holding an item of this merchant wait for `hold`.
    hold_merchant: str | None = None
    push_seconds: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0

    # Each call's items (transaction ids); a call repeating an earlier one's idempotency keys,
    # in order, is a replay of its answer (as Xero's Idempotency-Key and QBO's batch requestid
    # are per request) and writes nothing.
    calls: list[list[str]] = field(default_factory=list)
    answers: dict[tuple[str, ...], list[PushOutcome]] = field(default_factory=dict)
    # The process "dies" (WorkerDied) once this call has been written, its answer unread.
    dies_after_call: int | None = None

    def push(self, items: list[PushItem]) -> list[PushOutcome]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hold is not None and (
                self.hold_merchant is None
                or any(
                    getattr(item.document, "merchant_name", None) == self.hold_merchant
                    for item in items
                )
            ):
                self.held.set()
                self.hold.wait(timeout=30)
            time.sleep(self.push_seconds)
            request = tuple(item.idempotency_key for item in items)
            with self.lock:
                self.calls.append([item.transaction_id for item in items])
                number = len(self.calls)
                replayed = self.answers.get(request)
            if replayed is not None:
                return replayed
            outcomes = self._write(items)
            with self.lock:
                self.answers[request] = outcomes
            if number == self.dies_after_call:
                raise WorkerDied(f"the worker died with call {number} written")
            return outcomes
        finally:
            with self.lock:
                self.in_flight -= 1

    def _write(self, items: list[PushItem]) -> list[PushOutcome]:
        with self.lock:
            if self.defect:
                raise ValueError("a bug in a connector")
            if self.unavailable_calls > 0:
                self.unavailable_calls -= 1
                raise Transient("Rate limit exceeded", retry_after=0.1)
            outcomes = []
            for item in items:
                self.pushes.append(item)
                merchant = getattr(item.document, "merchant_name", None)
                if merchant == "REJECT":
                    outcomes.append(
                        PushOutcome(
                            item.transaction_id, rejection="Account code '999' is not valid."
                        )
                    )
                    continue
                record_id = item.existing.record_id if item.existing else f"BT-{len(self.pushes)}"
                outcomes.append(
                    PushOutcome(
                        item.transaction_id,
                        record=PlatformRecord("BankTransaction", record_id, "v"),
                    )
                )
            return outcomes


@pytest.fixture
def ledger() -> Iterator[RecordingLedger]:
    recording = RecordingLedger()
    previous = registered_ledger(PlatformKey.XERO)
    register_ledger(PlatformKey.XERO, recording.opener)
    yield recording
    if previous is None:
        unregister_ledger(PlatformKey.XERO)
    else:
        register_ledger(PlatformKey.XERO, previous)


@pytest.fixture
def company(
    api: TestClient, new_key: Any, engine: Engine, ledger: RecordingLedger
) -> dict[str, Any]:
    """A company linked to Xero, whose connector is the recording ledger."""
    return link_company(api, engine, auth(new_key().key))


def link_company(
    api: TestClient, engine: Engine, headers: dict[str, str], platform: str = "gbol"
) -> dict[str, Any]:
    """A company whose accounting connection is Linked (as the platform's auth flow would)."""
    company_id = api.post("/companies", json={"name": "Toft Stores"}, headers=headers).json()["id"]
    conn = api.post(
        f"/companies/{company_id}/connections", json={"platformKey": platform}, headers=headers
    ).json()
    with make_session_factory(engine)() as session:
        session.execute(
            update(Connection)
            .where(Connection.id == conn["id"])
            .values(status=ConnectionStatus.LINKED)
        )
        session.commit()
    return {"id": company_id, "headers": headers, "connection": conn["id"]}


# A small UK chart of accounts, tax rates, tracking and contacts, as a ledger reports them.
ACCOUNTS = [
    LedgerAccount(
        "acc-usd-card",
        "USD Card",
        AccountType.LIABILITY,
        "Liability.CreditCard",
        "USD",
        "801",
        BankKind.CREDIT_CARD,
    ),
    LedgerAccount(
        "acc-card",
        "Company Card",
        AccountType.LIABILITY,
        "Liability.CreditCard",
        "GBP",
        "800",
        BankKind.CREDIT_CARD,
    ),
    LedgerAccount(
        "acc-bank", "Business Bank", AccountType.ASSET, "Asset.Bank", "GBP", "090", BankKind.BANK
    ),
    LedgerAccount("acc-travel", "Travel", AccountType.EXPENSE, "Expense.Overheads", "GBP", "493"),
    LedgerAccount(
        "acc-sales", "Other Income", AccountType.INCOME, "Income.OtherIncome", "GBP", "260"
    ),
    LedgerAccount("acc-prepay", "Prepayments", AccountType.ASSET, "Asset.Current", "GBP", "620"),
    LedgerAccount(
        "acc-old",
        "Old Costs",
        AccountType.EXPENSE,
        "Expense.Overheads",
        "GBP",
        "499",
        status=RecordStatus.ARCHIVED,
    ),
]
TAX_RATES = [
    LedgerTaxRate("INPUT2", "20% (VAT on Expenses)", "INPUT2", Decimal("20"), Decimal("20")),
    LedgerTaxRate(
        "OUTPUT2",
        "20% (VAT on Income)",
        "OUTPUT2",
        Decimal("20"),
        Decimal("20"),
        for_purchases=False,
        for_sales=True,
    ),
]
TRACKING = [
    LedgerTrackingCategory("dept", "Department", has_children=True),
    LedgerTrackingCategory("dept-sales", "Sales", parent_id="dept"),
]
SUPPLIERS = [
    LedgerContact("sup-1", "Card Provider Ltd", is_supplier=True, is_customer=False, currency="GBP")
]
CUSTOMERS = [LedgerContact("cus-1", "Cashback Customer", is_supplier=False, is_customer=True)]


@pytest.fixture
def stocked(ledger: RecordingLedger) -> RecordingLedger:
    ledger.reference = {
        ReferenceDataType.CHART_OF_ACCOUNTS: ACCOUNTS,
        ReferenceDataType.TAX_RATES: TAX_RATES,
        ReferenceDataType.TRACKING_CATEGORIES: TRACKING,
        ReferenceDataType.SUPPLIERS: SUPPLIERS,
        ReferenceDataType.CUSTOMERS: CUSTOMERS,
    }
    return ledger


class Receiver:
    """An HTTP endpoint on loopback that records requests and fails the first `failures`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if receiver.failures > 0 else 204
                receiver.failures -= 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, self.requests
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
