"""Test doubles shared by the engine tests: a ledger that records what it is asked to write
and serves reference data it is given, registered as a platform's connector."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import CompanyInformation, PlatformRecord, PushItem, PushOutcome
from spendsync.connectors.errors import Transient
from spendsync.connectors.reference import LedgerRecord, ReferenceDataType, ReferenceRead
from spendsync.connectors.registry import PlatformKey, register_ledger, unregister_ledger
from spendsync.db.engine import make_session_factory
from tests.conftest import auth


@dataclass
class RecordingLedger:
    """Writes into a list; refuses merchants named REJECT; can be made briefly unavailable."""

    pushes: list[PushItem] = field(default_factory=list)
    unavailable_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    max_batch_size: int = 3

    def opener(self, _connection: Connection) -> RecordingLedger:
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

    def get_company_info(self) -> CompanyInformation:
        return CompanyInformation(company_name="Recorded", base_currency="GBP")

    def push(self, items: list[PushItem]) -> list[PushOutcome]:
        with self.lock:
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
    register_ledger(PlatformKey.XERO, recording.opener)
    yield recording
    unregister_ledger(PlatformKey.XERO)


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
