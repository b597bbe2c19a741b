"""A writer that died with a call in flight is resumed without writing anything twice.

Platforms make a write safe to repeat per request (Xero's Idempotency-Key, QBO's batch
`requestid`), not per item: a request repeated with the same members is a replay, one with
other members is a new write. So whoever resumes must send what may have been written in the
very request it went out in, even when other syncs have queued or joined the round since.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.connectors.base import LedgerContext
from spendsync.db.engine import make_session_factory
from spendsync.syncs.models import SyncTransaction, TransactionStatus
from spendsync.syncs.runner import claim_syncs, finish_syncs, push_claimed
from tests.conftest import auth
from tests.expenses.test_expense_sync import base, payment, wait_until_taken_in
from tests.expenses.test_sweep import UnreachableQueue
from tests.fakes import RecordingLedger, WorkerDied, link_company


@pytest.fixture
def queue_only(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The API, with no job engine behind it: the test runs the writer's steps itself."""
    with TestClient(
        create_app(settings, engine, UnreachableQueue(settings)), raise_server_exceptions=False
    ) as api:
        yield api


def _queue(api: TestClient, company: dict[str, Any], count: int) -> tuple[str, list[str]]:
    items = [payment() for _ in range(count)]
    answer = api.post(
        f"{base(company)}/expense-transactions", json=items, headers=company["headers"]
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["syncId"], [item["id"] for item in items]


def _statuses(engine: Engine, sync_ids: list[str]) -> Counter[TransactionStatus]:
    with engine.connect() as conn:
        return Counter(
            conn.scalars(
                select(SyncTransaction.status).where(SyncTransaction.sync_id.in_(sync_ids))
            )
        )


@pytest.fixture
def context(settings: Settings, engine: Engine) -> LedgerContext:
    return LedgerContext(settings, make_session_factory(engine))


@pytest.fixture
def company(queue_only: TestClient, engine: Engine, new_key: Any) -> dict[str, Any]:
    return link_company(queue_only, engine, auth(new_key().key))


def test_a_resumed_claim_sends_the_request_in_flight_again_as_it_was(
    context: LedgerContext,
    company: dict[str, Any],
    engine: Engine,
    ledger: RecordingLedger,
    queue_only: TestClient,
) -> None:
    runner, first = _queue(queue_only, company, 2)
    ledger.dies_after_call = 1
    with pytest.raises(WorkerDied):
        push_claimed(context, runner, claim_syncs(context, runner))
    # The platform wrote both; their outcomes were never recorded. Another sync queues, and
    # the resumed claim (its step was not checkpointed) takes both syncs in one round.
    later, queued = _queue(queue_only, company, 2)
    claimed = claim_syncs(context, runner)
    assert sorted(claimed) == sorted([runner, later])
    finish_syncs(context.session_factory, push_claimed(context, runner, claimed))

    # The first request went again with the same members (a replay), the new sync apart.
    assert ledger.calls == [first, first, queued]
    assert sorted(p.transaction_id for p in ledger.pushes) == sorted(first + queued)
    assert _statuses(engine, [runner, later]) == {TransactionStatus.COMPLETED: 4}


def test_a_resumed_push_sends_items_of_syncs_the_round_took_in_with_those_they_went_with(
    context: LedgerContext,
    company: dict[str, Any],
    engine: Engine,
    ledger: RecordingLedger,
    queue_only: TestClient,
) -> None:
    runner, first = _queue(queue_only, company, 4)
    claimed = claim_syncs(context, runner)
    ledger.hold, ledger.dies_after_call = threading.Event(), 2
    died: list[BaseException] = []

    def write() -> None:
        try:
            push_claimed(context, runner, claimed)
        except WorkerDied as exc:
            died.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    assert ledger.held.wait(timeout=30)  # three of the four at the platform
    joined, brought = _queue(queue_only, company, 2)
    wait_until_taken_in(engine, [joined], runner)  # it tops up the fourth item's batch
    ledger.hold.set()
    writer.join(timeout=30)
    assert died, "the second call should have ended the writer"
    assert ledger.calls == [first[:3], [first[3], *brought]]

    # The push step was not checkpointed: it runs again for the claimed sync alone.
    ledger.hold = None
    written = push_claimed(context, runner, claimed)
    assert written == [runner, joined]
    finish_syncs(context.session_factory, written)

    assert ledger.calls[2:] == [[first[3], *brought]]  # a replay: nothing written twice
    assert Counter(p.transaction_id for p in ledger.pushes) == Counter(first + brought)
    assert _statuses(engine, [runner, joined]) == {TransactionStatus.COMPLETED: 6}
