"""The database throttle: several processes (here: independent throttles, each with its own
engine, as separate processes would have) share one budget and one set of in-flight slots per
tenant, and a slot held by a process that died is freed when its lease ends — a job worker's
as soon as its heartbeat says it is dead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from spendsync.connectors.errors import Transient
from spendsync.connectors.models import PlatformCall
from spendsync.connectors.throttle import Limits, SharedThrottle, worker_process
from spendsync.db.base import utcnow
from spendsync.db.engine import make_engine
from spendsync.jobs.models import WorkerHeartbeat

LIMITS = Limits(calls=8, period_seconds=1.0, calls_per_day=None, concurrent=2)


@pytest.fixture
def engines(database_url: str, engine: Engine) -> Iterator[list[Engine]]:
    opened = [make_engine(database_url) for _ in range(3)]
    yield opened
    for each in opened:
        each.dispose()


def test_processes_share_one_budget_and_one_set_of_slots(engines: list[Engine]) -> None:
    throttles = [SharedThrottle(e, "test", LIMITS, lease_seconds=30) for e in engines]
    calls: list[tuple[float, float]] = []
    guard = threading.Lock()

    def process(throttle: SharedThrottle) -> None:
        for _ in range(8):
            with throttle.slot("tenant-a", timeout=30):
                started = time.monotonic()
                time.sleep(0.01)
                with guard:
                    calls.append((started, time.monotonic()))

    threads = [threading.Thread(target=process, args=(t,)) for t in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 24
    with engines[0].connect() as conn:
        admitted = sorted(
            conn.scalars(select(PlatformCall.at).where(PlatformCall.key == "test:tenant-a"))
        )
    assert len(admitted) == 24
    # No rolling second holds more than 8 admissions, across all three "processes"...
    busiest = max(sum(1 for a in admitted if first <= a < first + 1.0) for first in admitted)
    assert busiest <= LIMITS.calls
    # ...so 24 calls took at least two full windows.
    assert admitted[-1] - admitted[0] >= 2.0
    # And never more than 2 were in flight at once.
    events = sorted([(s, 1) for s, _ in calls] + [(e, -1) for _, e in calls])
    in_flight = peak = 0
    for _, change in events:
        in_flight += change
        peak = max(peak, in_flight)
    assert peak <= LIMITS.concurrent


def test_tenants_have_budgets_of_their_own(engines: list[Engine]) -> None:
    throttle = SharedThrottle(engines[0], "test", LIMITS, lease_seconds=30)
    begun = time.monotonic()
    for tenant in ("t-1", "t-2", "t-3"):
        for _ in range(LIMITS.calls):
            with throttle.slot(tenant):
                pass
    # 24 calls under one shared budget of 8 a second would need two full windows (≥ 2 s);
    # each tenant only spent its own 8.
    assert time.monotonic() - begun < 2.0


def test_a_dead_holders_slot_is_freed_when_its_lease_ends(engines: list[Engine]) -> None:
    one_slot = Limits(calls=100, period_seconds=1.0, calls_per_day=None, concurrent=1)
    dead = SharedThrottle(engines[0], "test", one_slot, lease_seconds=1.0)
    alive = SharedThrottle(engines[1], "test", one_slot, lease_seconds=1.0)
    held = dead.slot("tenant-b")
    held.__enter__()  # the process is killed here: it never releases the slot
    with pytest.raises(Transient, match="in flight"), alive.slot("tenant-b", timeout=0.3):
        pass
    begun = time.monotonic()
    with alive.slot("tenant-b", timeout=5):
        waited = time.monotonic() - begun
    assert 0.3 < waited < 2.0


def test_the_budget_answers_when_it_will_have_room(engines: list[Engine]) -> None:
    throttle = SharedThrottle(
        engines[0],
        "test",
        Limits(calls=2, period_seconds=10.0, calls_per_day=None, concurrent=5),
        lease_seconds=30,
    )
    for _ in range(2):
        with throttle.slot("tenant-c"):
            pass
    with pytest.raises(Transient) as refused, throttle.slot("tenant-c", timeout=0.5):
        pass
    assert refused.value.retry_after is not None
    assert 9.0 < refused.value.retry_after <= 10.5  # the window plus its safety margin


def test_a_dead_workers_slots_are_free_without_waiting_for_their_leases(
    engines: list[Engine],
) -> None:
    one_slot = Limits(calls=100, period_seconds=1.0, calls_per_day=None, concurrent=1)
    with Session(engines[0]) as session:
        session.add_all(
            [
                WorkerHeartbeat(
                    executor_id="silent-worker",
                    host="h",
                    pid=1,
                    last_seen=utcnow() - timedelta(seconds=60),
                ),
                WorkerHeartbeat(executor_id="live-worker", host="h", pid=2, last_seen=utcnow()),
                WorkerHeartbeat(executor_id="survivor", host="h", pid=3, last_seen=utcnow()),
            ]
        )
        session.commit()

    def throttle(engine: Engine, worker: str, pid: int = 1) -> SharedThrottle:
        # Leases of five minutes: only the heartbeat can free a slot within this test.
        return SharedThrottle(
            engine,
            "test",
            one_slot,
            lease_seconds=300,
            worker=worker_process(worker, pid),
            dead_after_seconds=30,
        )

    survivor = throttle(engines[2], "survivor", pid=3)
    # A live worker's slot stays taken for its whole lease.
    live = throttle(engines[0], "live-worker", pid=2).slot("tenant-live")
    live.__enter__()
    with pytest.raises(Transient, match="in flight"), survivor.slot("tenant-live", timeout=0.3):
        pass
    # Workers SIGKILLed mid-call: one silent for longer than dead_after, one already declared
    # dead (its heartbeat gone once its workflows were handed over). Their slots are free.
    # And one restarted under the same executor id (SQLite's `local`): the new process's
    # heartbeat does not keep the killed one's slot.
    for worker, pid, tenant in (
        ("silent-worker", 1, "tenant-silent"),
        ("recovered-worker", 1, "tenant-gone"),
        ("live-worker", 999, "tenant-restarted"),
    ):
        killed = throttle(engines[1], worker, pid).slot(tenant)
        killed.__enter__()  # the worker is killed here: it never releases the slot
        begun = time.monotonic()
        with survivor.slot(tenant, timeout=5):
            assert time.monotonic() - begun < 1.0


def test_a_round_is_a_third_of_a_minutes_calls_at_the_platforms_pace() -> None:
    xero = Limits(calls=60, period_seconds=60, calls_per_day=5000, concurrent=5)
    qbo = Limits(
        calls=500, period_seconds=60, calls_per_day=None, concurrent=10, calls_per_second=10
    )
    assert xero.round_calls() == 20
    assert qbo.round_calls() == 160  # 166 by the minute's budget, 16 per call in flight at most
    # A scaled clock (a minute of one second) sizes rounds the same.
    assert Limits(calls=60, period_seconds=1, calls_per_day=5000, concurrent=5).round_calls() == 20
    # The per-second budget binds where it is the tighter one; a round never has fewer calls
    # than may be in flight.
    tight = Limits(
        calls=600, period_seconds=60, calls_per_day=None, concurrent=4, calls_per_second=1
    )
    assert tight.round_calls() == 20
    assert Limits(calls=3, period_seconds=60, calls_per_day=None, concurrent=5).round_calls() == 5
