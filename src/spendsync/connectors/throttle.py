"""Staying inside a platform's per-tenant limits before the platform has to refuse.

Each tenant (a Xero organisation, a QuickBooks realm) gets a call-rate limiter (pyrate-limiter's
sliding windows, e.g. 60 per minute and 5000 per day) and a cap on calls in flight. Both are per
process: one embedded process, or each worker when distributed (then a worker's share of the
limit is configured, and the platform's 429 + Retry-After still covers the rest).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyrate_limiter import InMemoryBucket, Limiter, Rate

from spendsync.connectors.errors import Transient


@dataclass(frozen=True)
class Limits:
    calls: int
    period_seconds: float
    calls_per_day: int | None
    concurrent: int


class TenantThrottle:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._guard = threading.Lock()
        self._limiters: dict[str, Limiter] = {}
        self._in_flight: dict[str, threading.BoundedSemaphore] = {}

    def _for(self, tenant: str) -> tuple[Limiter, threading.BoundedSemaphore]:
        with self._guard:
            if tenant not in self._limiters:
                period_ms = int(self.limits.period_seconds * 1000)
                rates = [Rate(self.limits.calls, period_ms)]
                day = self.limits.calls_per_day
                # A daily budget only matters when the per-period rate could exceed it.
                if (
                    day
                    and day > self.limits.calls
                    and day / 86_400_000 < self.limits.calls / period_ms
                ):
                    rates.append(Rate(day, 86_400_000))
                self._limiters[tenant] = Limiter(InMemoryBucket(rates))
                self._in_flight[tenant] = threading.BoundedSemaphore(self.limits.concurrent)
            return self._limiters[tenant], self._in_flight[tenant]

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


_throttles: dict[tuple[str, Limits], TenantThrottle] = {}
_throttles_guard = threading.Lock()


def throttle_for(platform: str, limits: Limits) -> TenantThrottle:
    """One throttle per platform and configuration in this process, shared by its connectors."""
    with _throttles_guard:
        return _throttles.setdefault((platform, limits), TenantThrottle(limits))
