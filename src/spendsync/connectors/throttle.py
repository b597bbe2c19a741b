"""Staying inside a platform's per-tenant limits before the platform has to refuse.

Each tenant (a Xero organisation, a QuickBooks realm) gets sliding-window call budgets (e.g. 60
per minute and 5000 per day, 10 per second) and a cap on calls in flight. Two scopes:

- process (`TenantThrottle`): pyrate-limiter's in-memory windows and a semaphore. Right for the
  embedded default, where one process makes every call.
- database (`SharedThrottle`): every API and worker process draws on the same budget, kept in
  spendsync's own database. A call is admitted inside a transaction that locks the tenant's
  budget row (PostgreSQL row lock; SQLite serialises writers), counts the calls recorded in each
  window and records this one; in-flight slots are rows leased to a holder until a deadline, so
  a process killed mid-call frees its slot once the lease ends (a job worker's, as soon as its
  heartbeat has stopped for `worker_dead_after_seconds`). Clocks of the machines must be
  in sync (NTP): call times are the admitting process's.

The platform's own 429 + Retry-After is still honoured on top of either.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pyrate_limiter import InMemoryBucket, Limiter, Rate
from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from spendsync.config import Settings
from spendsync.connectors.errors import Transient
from spendsync.connectors.models import PlatformCall, PlatformCallBudget, PlatformCallSlot
from spendsync.db.base import utcnow
from spendsync.jobs.models import WorkerHeartbeat

if TYPE_CHECKING:
    from spendsync.connectors.base import LedgerContext


# A round of a company's writes makes at most this many calls per call in flight.
ROUND_CALLS_PER_SLOT = 16


@dataclass(frozen=True)
class Limits:
    calls: int
    period_seconds: float
    calls_per_day: int | None
    concurrent: int
    calls_per_second: int | None = None

    @staticmethod
    def kept(window: float) -> float:
        """How long we count a call against a window of `window` seconds: a little longer than
        the platform does. The platform counts arrivals, after our admission, the network and
        its own queueing, and not all equally late (several calls in flight), so a window kept
        exactly would let the platform see one call too many in some stretch of it. 0.25 s
        covers the jitter seen with ten QBO calls in flight on a busy two-core machine: the QBO
        sandbox's closest approach (its counters) was 1.02 of a second at 0.2 s over 335 calls,
        and 0.05 and 0.1 s crossed QBO's ten a second; a minute is kept 1.2 s longer."""
        return window + min(2.0, max(0.25, 0.02 * window))

    def round_calls(self) -> int:
        """Calls for one round of a company's writes (see syncs.runner.round_capacity): what
        the minute's and second's budgets allow in a third of the minute at their steady rate
        (Xero's 60 a minute: 20 calls; QBO's 500 a minute: 166, capped at 160 for its ten in
        flight), between one and ROUND_CALLS_PER_SLOT per call in flight. Rounds that long
        make the claims between them rare and keep a clean worker stop, which lets its rounds
        finish, short (about 20 s at the real clock). A daily budget is left out: it bounds a
        day's calls, not how they bunch."""
        share = self.period_seconds / 3
        steady = min(
            calls * share / seconds
            for calls, seconds in self.windows()
            if seconds <= self.period_seconds
        )
        return max(self.concurrent, min(ROUND_CALLS_PER_SLOT * self.concurrent, int(steady)))

    def windows(self) -> list[tuple[int, float]]:
        """(calls, seconds) budgets that bind: `calls` per `period_seconds` (a minute), and a
        daily or per-second budget where the per-minute one could exceed it."""
        found = [(self.calls, self.period_seconds)]
        rate = self.calls / self.period_seconds
        day = self.calls_per_day
        if day and day > self.calls and day / 86_400 < rate:
            found.append((day, 86_400.0))
        # A "second" is a sixtieth of the period, so a scaled clock scales it too.
        second = self.calls_per_second
        if second and second < self.calls:
            found.append((second, self.period_seconds / 60))
        return found


def worker_process(executor_id: Any, pid: Any) -> Any:
    """Which process of a worker holds a slot: its executor id and pid (on SQLite a restarted
    worker keeps the executor id `local`; what the killed one held is not the new one's)."""
    if isinstance(executor_id, str):
        return f"{executor_id}#{pid}"
    return executor_id + "#" + cast(pid, String)


class Throttle(Protocol):
    def slot(self, tenant: str, *, timeout: float = 30.0) -> AbstractContextManager[None]:
        """Wait (at most `timeout`) for room under every budget; Transient when there is none."""
        ...


class TenantThrottle:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._guard = threading.Lock()
        self._limiters: dict[str, Limiter] = {}
        self._in_flight: dict[str, threading.BoundedSemaphore] = {}

    def _for(self, tenant: str) -> tuple[Limiter, threading.BoundedSemaphore]:
        with self._guard:
            if tenant not in self._limiters:
                # No padding on pyrate-limiter's waits (50 ms by default): the margin a window
                # needs is Limits.kept's, the same for this throttle and the shared one.
                self._limiters[tenant] = Limiter(InMemoryBucket(self._rates()), buffer_ms=0)
                self._in_flight[tenant] = threading.BoundedSemaphore(self.limits.concurrent)
            return self._limiters[tenant], self._in_flight[tenant]

    def _rates(self) -> list[Rate]:
        """The windows as pyrate-limiter rates, shortest first. A longer window allowing calls
        at least as densely as a shorter one can never bind (10 a second already keeps a
        minute under 600) and is left out: pyrate-limiter requires densities to fall."""
        kept: list[Rate] = []
        for calls, seconds in sorted(self.limits.windows(), key=lambda window: window[1]):
            rate = Rate(calls, int(Limits.kept(seconds) * 1000))
            if all(calls / rate.interval < other.limit / other.interval for other in kept):
                kept.append(rate)
        return kept

    @contextmanager
    def slot(self, tenant: str, *, timeout: float = 30.0) -> Iterator[None]:
        """Wait (at most `timeout`) for room under both limits; Transient when there is none."""
        limiter, in_flight = self._for(tenant)
        if not in_flight.acquire(timeout=timeout):
            raise Transient("Too many calls in flight for this tenant.", retry_after=1.0)
        try:
            if not limiter.try_acquire(tenant, blocking=True, timeout=timeout):
                raise Transient("The tenant's call budget is spent for now.", retry_after=5.0)
            yield
        finally:
            in_flight.release()


class SharedThrottle:
    """Per-tenant budgets and in-flight slots kept in the database, shared by every process."""

    POLL_SECONDS = 0.05

    def __init__(
        self,
        engine: Engine,
        platform: str,
        limits: Limits,
        lease_seconds: float,
        *,
        worker: str | None = None,
        dead_after_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self.limits = limits
        self.lease_seconds = lease_seconds
        # The job worker this process runs as, and how long a silent worker has to be dead:
        # a dead worker's slots are free at once rather than when their leases end (a lease
        # covers a wait for budget and a whole platform timeout, minutes; recovery of the
        # worker's syncs starts once it is dead, and would otherwise find every slot taken).
        self.worker = worker
        self.dead_after_seconds = dead_after_seconds
        self._windows = sorted(limits.windows(), key=lambda window: window[1])
        self._longest = max(seconds for _, seconds in self._windows) + 2.0

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """Call records are short-lived bookkeeping: on PostgreSQL they are committed without
        waiting for the disk (a crash may forget the last few, never corrupt anything)."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            yield conn

    def _key(self, tenant: str) -> str:
        return f"{self.platform}:{tenant}"[:255]

    def _insert_ignore(self, table: Any, rows: list[dict[str, Any]]) -> Any:
        if self.engine.dialect.name == "postgresql":
            return pg_insert(table).values(rows).on_conflict_do_nothing()
        return sqlite_insert(table).values(rows).on_conflict_do_nothing()

    def _prepare(self, key: str) -> None:
        """Create the tenant's slot rows (idempotent; every process may race to do it)."""
        with self._transaction() as conn:
            conn.execute(
                self._insert_ignore(
                    PlatformCallSlot.__table__,
                    [
                        {"key": key, "slot": slot, "holder": None, "lease_until": 0.0}
                        for slot in range(self.limits.concurrent)
                    ],
                )
            )

    def _has_slots(self, key: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(func.count())
                .select_from(PlatformCallSlot)
                .where(PlatformCallSlot.key == key)
            )
        return bool(found)

    def _take_slot(self, key: str, holder: str) -> int | None:
        now = time.time()
        slots = PlatformCallSlot
        free = [slots.holder.is_(None), slots.lease_until < now]
        if self.dead_after_seconds is not None:
            # Held by a worker without a recent heartbeat: silent for too long, or already
            # declared dead (its heartbeat row is gone once its workflows were handed over).
            alive_since = utcnow() - timedelta(seconds=self.dead_after_seconds)
            beating = WorkerHeartbeat
            free.append(
                and_(
                    slots.worker.is_not(None),
                    slots.worker.not_in(
                        select(worker_process(beating.executor_id, beating.pid)).where(
                            beating.last_seen >= alive_since
                        )
                    ),
                )
            )
        for slot in range(self.limits.concurrent):
            with self._transaction() as conn:
                taken = conn.execute(
                    update(slots)
                    .where(slots.key == key, slots.slot == slot, or_(*free))
                    .values(holder=holder, lease_until=now + self.lease_seconds, worker=self.worker)
                ).rowcount
            if taken == 1:
                return slot
        return None

    def _free_slot(self, key: str, slot: int, holder: str) -> None:
        slots = PlatformCallSlot
        with self._transaction() as conn:
            conn.execute(
                update(slots)
                .where(slots.key == key, slots.slot == slot, slots.holder == holder)
                .values(holder=None, lease_until=0.0, worker=None)
            )

    def _admit(self, key: str) -> float:
        """Record a call if every window has room; otherwise how long until one has."""
        calls = PlatformCall
        budgets = PlatformCallBudget
        with self._transaction() as conn:
            # Serialise admissions for this tenant across processes (a no-op lock on SQLite,
            # whose single writer serialises the transaction once it writes).
            conn.execute(self._insert_ignore(PlatformCallBudget.__table__, [{"key": key}]))
            conn.execute(update(budgets).where(budgets.key == key).values(key=budgets.key))
            now = time.time()
            conn.execute(delete(calls).where(calls.key == key, calls.at < now - self._longest))
            for allowed, window in self._windows:
                seconds = Limits.kept(window)
                start = now - seconds
                used = conn.scalar(select(func.count()).where(calls.key == key, calls.at > start))
                if used is not None and used >= allowed:
                    # Room opens when the oldest call that still counts leaves the window.
                    oldest = conn.scalar(
                        select(calls.at)
                        .where(calls.key == key, calls.at > start)
                        .order_by(calls.at)
                        .offset(used - allowed)
                        .limit(1)
                    )
                    return max(self.POLL_SECONDS, (oldest or now) + seconds - now)
            conn.execute(insert(calls).values(key=key, at=now))
        return 0.0

    @contextmanager
    def slot(self, tenant: str, *, timeout: float = 30.0) -> Iterator[None]:
        key = self._key(tenant)
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        taken = self._take_slot(key, holder)
        if taken is None and not self._has_slots(key):
            self._prepare(key)  # the tenant's first call
            taken = self._take_slot(key, holder)
        while taken is None:
            if time.monotonic() >= deadline:
                raise Transient("Too many calls in flight for this tenant.", retry_after=1.0)
            time.sleep(self.POLL_SECONDS)
            taken = self._take_slot(key, holder)
        try:
            while (wait := self._admit(key)) > 0:
                if time.monotonic() + wait > deadline:
                    raise Transient("The tenant's call budget is spent for now.", retry_after=wait)
                time.sleep(wait)
            yield
        finally:
            self._free_slot(key, taken, holder)


_throttles: dict[tuple[str, Limits], TenantThrottle] = {}
_shared: dict[tuple[int, str, Limits, str | None], SharedThrottle] = {}
_throttles_guard = threading.Lock()


def shared_scope(settings: Settings, engine: Engine | None) -> bool:
    if settings.throttle_scope == "auto":
        return engine is not None and engine.dialect.name == "postgresql"
    return settings.throttle_scope == "database"


def throttle_for(platform: str, limits: Limits, context: LedgerContext | None = None) -> Throttle:
    """The throttle a connector's calls go through: one per platform and configuration in this
    process, shared through the database with every other process when the scope says so."""
    engine = context.session_factory.kw.get("bind") if context is not None else None
    with _throttles_guard:
        if (
            context is not None
            and isinstance(engine, Engine)
            and shared_scope(context.settings, engine)
        ):
            settings = context.settings
            lease = settings.platform_timeout_seconds * 2 + 30
            worker = context.worker_id
            key = (id(engine), platform, limits, worker)
            if key not in _shared:
                _shared[key] = SharedThrottle(
                    engine,
                    platform,
                    limits,
                    lease,
                    worker=worker,
                    dead_after_seconds=settings.worker_dead_after_seconds,
                )
            return _shared[key]
        return _throttles.setdefault((platform, limits), TenantThrottle(limits))
