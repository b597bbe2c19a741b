"""The control plane every platform sandbox shares: clock, rate limits, fault injection, counters.

Why one shared module: connectors for different platforms must be exercised by the same
scenarios (a 429 storm, a flaky 503, a token that expires mid-sync, a benchmark at "one minute
per second"), so the knobs live here and each sandbox only decides how its vendor *renders* a
429 or a 401. Everything here is in-memory, thread-safe and deterministic given a seed.

Time: all limits, token lifetimes and injected latencies are measured on a :class:`SandboxClock`
whose speed can be scaled (``scale=60`` makes a sandbox minute last one real second) and which
tests can jump forward (``advance``). Values sent to clients that they will *sleep* on
(``Retry-After``) are converted back to real seconds, so a well-behaved client works unchanged
at any scale.
"""

from __future__ import annotations

import asyncio
import fnmatch
import math
import random
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from fastapi import APIRouter, Body, HTTPException, Request, Response
from pydantic import BaseModel, Field


class SandboxClock:
    """Wall-clock time for a sandbox, optionally running faster than real time.

    sandbox_now = anchor + (real_elapsed * scale) + manual offset. Monotonic real time is used so
    that a system clock step on the host does not make tokens expire.
    """

    def __init__(self, scale: float = 1.0, start: datetime | None = None) -> None:
        if scale <= 0:
            raise ValueError("clock scale must be positive")
        self._lock = threading.Lock()
        self._scale = scale
        self._anchor = (start or datetime.now(UTC)).timestamp()
        self._real_anchor = time.monotonic()

    @property
    def scale(self) -> float:
        return self._scale

    def seconds(self) -> float:
        """Sandbox time as a POSIX timestamp (float seconds)."""
        with self._lock:
            return self._anchor + (time.monotonic() - self._real_anchor) * self._scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds(), UTC)

    def advance(self, seconds: float) -> None:
        """Jump forward (tests: expire a token without waiting 30 minutes)."""
        with self._lock:
            self._anchor += seconds

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("clock scale must be positive")
        now = self.seconds()
        with self._lock:
            self._anchor = now
            self._real_anchor = time.monotonic()
            self._scale = scale

    def to_real(self, sandbox_seconds: float) -> float:
        return sandbox_seconds / self._scale

    async def sleep(self, sandbox_seconds: float) -> None:
        if sandbox_seconds > 0:
            await asyncio.sleep(self.to_real(sandbox_seconds))


class RateLimits(BaseModel):
    """Per-tenant and per-app quotas. ``None`` disables a limit.

    Windows are sliding (a request counts for ``minute_seconds`` after it was admitted), which is
    how Xero describes its "rolling" limits. With ``enforce=False`` requests over a limit are
    served anyway but still counted as violations: benchmarks use that to measure whether a
    connector *would* have been throttled without changing its timing.
    """

    per_minute: int | None = Field(default=60, ge=1)
    per_day: int | None = Field(default=5000, ge=1)
    concurrent: int | None = Field(default=5, ge=1)
    app_per_minute: int | None = Field(default=10_000, ge=1)
    per_second: int | None = Field(
        default=None, ge=1, description="Per tenant+app within ``second_seconds`` (QBO: 10/s)."
    )
    concurrent_per_app: bool = Field(
        default=False,
        description="Count ``concurrent`` per tenant+app (QBO) instead of per tenant (Xero).",
    )
    minute_seconds: float = Field(default=60.0, gt=0)
    day_seconds: float = Field(default=86_400.0, gt=0)
    second_seconds: float = Field(default=1.0, gt=0)
    enforce: bool = True


LimitProblem = Literal["minute", "day", "concurrent", "appminute", "second"]


@dataclass(frozen=True)
class Admission:
    """The limiter's verdict on one request. ``retry_after`` is in sandbox seconds."""

    allowed: bool
    problem: LimitProblem | None = None
    retry_after: float = 0.0


@dataclass(frozen=True)
class Remaining:
    day: int | None
    minute: int | None
    app_minute: int | None


class Counters:
    """What happened, for assertions and benchmark reports. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests_total = 0
            self.requests_by_tenant: Counter[str] = Counter()
            self.requests_by_app: Counter[str] = Counter()
            self.requests_by_method: Counter[str] = Counter()
            self.responses_by_status: Counter[int] = Counter()
            self.rate_limited_by_problem: Counter[str] = Counter()
            self.violations_by_tenant: Counter[str] = Counter()
            self.violations_by_problem: Counter[str] = Counter()
            self.injected_faults: Counter[str] = Counter()
            self.max_concurrency_by_tenant: dict[str, int] = {}
            self.closest_approach: dict[str, dict[str, float]] = {}

    def count_request(self, method: str, tenant: str | None, app: str | None) -> None:
        with self._lock:
            self.requests_total += 1
            self.requests_by_method[method] += 1
            if tenant:
                self.requests_by_tenant[tenant] += 1
            if app:
                self.requests_by_app[app] += 1

    def count_response(self, status: int) -> None:
        with self._lock:
            self.responses_by_status[status] += 1

    def count_violation(self, tenant: str, problem: str) -> None:
        with self._lock:
            self.violations_by_tenant[tenant] += 1
            self.violations_by_problem[problem] += 1

    def count_rate_limited(self, problem: str) -> None:
        with self._lock:
            self.rate_limited_by_problem[problem] += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self.injected_faults[kind] += 1

    def observe_concurrency(self, tenant: str, in_flight: int) -> None:
        with self._lock:
            if in_flight > self.max_concurrency_by_tenant.get(tenant, 0):
                self.max_concurrency_by_tenant[tenant] = in_flight

    def observe_span(self, tenant: str, problem: str, windows: float) -> None:
        """The calls admitted last spanned `windows` of `problem`'s window (see RateLimiter)."""
        with self._lock:
            closest = self.closest_approach.setdefault(tenant, {})
            if windows < closest.get(problem, float("inf")):
                closest[problem] = windows

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requestsTotal": self.requests_total,
                "requestsByTenant": dict(self.requests_by_tenant),
                "requestsByApp": dict(self.requests_by_app),
                "requestsByMethod": dict(self.requests_by_method),
                "responsesByStatus": {str(k): v for k, v in self.responses_by_status.items()},
                "tooManyRequestsServed": self.responses_by_status.get(429, 0),
                "rateLimitedByProblem": dict(self.rate_limited_by_problem),
                "limitViolations": sum(self.violations_by_tenant.values()),
                "limitViolationsByTenant": dict(self.violations_by_tenant),
                "limitViolationsByProblem": dict(self.violations_by_problem),
                "injectedFaults": dict(self.injected_faults),
                "maxConcurrencyByTenant": dict(self.max_concurrency_by_tenant),
                "closestApproachByTenant": {
                    tenant: dict(found) for tenant, found in self.closest_approach.items()
                },
            }


class RateLimiter:
    """Sliding-window quotas per tenant and per app plus an in-flight (concurrency) cap.

    Rejected requests do not consume quota (they never reached the API), but they are counted as
    violations: a violation is any request that arrived while its tenant/app was over a limit.

    How close a client came to a limit without crossing it is counted too: for the per-second
    and per-minute limits of L calls, each admitted call and the L admitted before it span some
    time; the shortest such span, in windows, is the tenant's closest approach (below 1.0 the
    limit was crossed; 1.04 means the tightest L + 1 calls took 4 % more than a window).
    """

    def __init__(self, clock: SandboxClock, limits: RateLimits, counters: Counters) -> None:
        self._clock = clock
        self._counters = counters
        self._lock = threading.Lock()
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._minute: dict[str, deque[float]] = {}
            self._day: dict[str, deque[float]] = {}
            self._app_minute: dict[str, deque[float]] = {}
            self._second: dict[str, deque[float]] = {}
            self._in_flight: Counter[str] = Counter()
            self._last_admitted: dict[tuple[str, str], deque[float]] = {}

    @staticmethod
    def _prune(window: deque[float], now: float, length: float) -> None:
        while window and window[0] <= now - length:
            window.popleft()

    def _windows(self, tenant: str, app: str, now: float) -> tuple[deque[float], ...]:
        minute = self._minute.setdefault(tenant, deque())
        day = self._day.setdefault(tenant, deque())
        app_minute = self._app_minute.setdefault(app, deque())
        second = self._second.setdefault(f"{tenant}\x1f{app}", deque())
        self._prune(minute, now, self.limits.minute_seconds)
        self._prune(day, now, self.limits.day_seconds)
        self._prune(app_minute, now, self.limits.minute_seconds)
        self._prune(second, now, self.limits.second_seconds)
        return minute, day, app_minute, second

    def _slot(self, tenant: str, app: str | None) -> str:
        """The key in-flight requests are counted under."""
        return f"{tenant}\x1f{app}" if self.limits.concurrent_per_app and app else tenant

    def _problem(
        self,
        slot: str,
        minute: deque[float],
        day: deque[float],
        app_minute: deque[float],
        second: deque[float],
    ) -> tuple[LimitProblem, float] | None:
        limits = self.limits
        if limits.per_day is not None and len(day) >= limits.per_day:
            return "day", day[len(day) - limits.per_day] + limits.day_seconds
        if limits.app_per_minute is not None and len(app_minute) >= limits.app_per_minute:
            oldest = app_minute[len(app_minute) - limits.app_per_minute]
            return "appminute", oldest + limits.minute_seconds
        if limits.per_minute is not None and len(minute) >= limits.per_minute:
            return "minute", minute[len(minute) - limits.per_minute] + limits.minute_seconds
        if limits.per_second is not None and len(second) >= limits.per_second:
            return "second", second[len(second) - limits.per_second] + limits.second_seconds
        if limits.concurrent is not None and self._in_flight[slot] >= limits.concurrent:
            return "concurrent", 0.0
        return None

    def admit(self, tenant: str, app: str) -> Admission:
        """Decide on one request; an admitted request must be paired with :meth:`release`."""
        with self._lock:
            now = self._clock.seconds()
            minute, day, app_minute, second = self._windows(tenant, app, now)
            slot = self._slot(tenant, app)
            found = self._problem(slot, minute, day, app_minute, second)
            if found is not None:
                problem, free_at = found
                self._counters.count_violation(tenant, problem)
                if self.limits.enforce:
                    self._counters.count_rate_limited(problem)
                    # Concurrency frees up as soon as a call finishes: one second is what Xero
                    # sends for that case.
                    wait = max(free_at - now, 0.0) if problem != "concurrent" else 1.0
                    return Admission(False, problem, wait)
            minute.append(now)
            day.append(now)
            app_minute.append(now)
            second.append(now)
            self._observe_spans(tenant, app, now)
            self._in_flight[slot] += 1
            self._counters.observe_concurrency(tenant, self._in_flight[slot])
            return Admission(True, found[0] if found else None)

    def _observe_spans(self, tenant: str, app: str, now: float) -> None:
        limits = self.limits
        for problem, calls, window, key in (
            ("second", limits.per_second, limits.second_seconds, f"{tenant}\x1f{app}"),
            ("minute", limits.per_minute, limits.minute_seconds, tenant),
        ):
            if calls is None:
                continue
            last = self._last_admitted.get((problem, key))
            if last is None or last.maxlen != calls:
                last = self._last_admitted[(problem, key)] = deque(maxlen=calls)
            if len(last) == calls:
                self._counters.observe_span(tenant, problem, (now - last[0]) / window)
            last.append(now)

    def release(self, tenant: str, app: str | None = None) -> None:
        """Pair of :meth:`admit`; ``app`` is needed when concurrency is counted per app."""
        with self._lock:
            slot = self._slot(tenant, app)
            if self._in_flight[slot] > 0:
                self._in_flight[slot] -= 1

    def remaining(self, tenant: str, app: str) -> Remaining:
        with self._lock:
            minute, day, app_minute, _ = self._windows(tenant, app, self._clock.seconds())
            limits = self.limits

            def left(limit: int | None, used: int) -> int | None:
                return None if limit is None else max(limit - used, 0)

            return Remaining(
                day=left(limits.per_day, len(day)),
                minute=left(limits.per_minute, len(minute)),
                app_minute=left(limits.app_per_minute, len(app_minute)),
            )


FaultKind = Literal["error", "rate_limit", "slow", "timeout", "expired_token"]


class Fault(BaseModel):
    """One injected failure.

    * ``error``: answer ``status`` (default 503) with the vendor's error body or ``body``.
    * ``rate_limit``: a 429 with ``Retry-After: retry_after_seconds`` and ``problem``.
    * ``slow``: wait ``delay_seconds`` (sandbox time), then serve the request normally.
    * ``timeout``: wait ``delay_seconds`` without doing the work, then answer 504; meant to be
      longer than the client's timeout so the client gives up first.
    * ``expired_token``: answer the vendor's 401 for an expired access token.
    """

    kind: FaultKind
    status: int = Field(default=503, ge=400, le=599)
    retry_after_seconds: float = Field(default=60.0, ge=0)
    problem: LimitProblem = "minute"
    delay_seconds: float = Field(default=5.0, ge=0)
    body: Any = None


class FaultRule(BaseModel):
    """Which requests a fault applies to and how often.

    ``faults`` is a queue: each matching request consumes the next one (deterministic
    scenarios: "503 twice, then succeed"). Once it is empty, ``fault`` is injected with
    ``probability`` (seeded RNG), at most ``times`` times when given.
    """

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    method: str = "*"
    path: str = "*"
    tenant: str | None = None
    faults: list[Fault] = Field(default_factory=list)
    fault: Fault | None = None
    probability: float = Field(default=0.0, ge=0.0, le=1.0)
    times: int | None = Field(default=None, ge=0)

    def matches(self, method: str, path: str, tenant: str | None) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.tenant is not None and self.tenant != tenant:
            return False
        return fnmatch.fnmatchcase(path, self.path)


class FaultPlan:
    """The ordered set of fault rules; the first rule that yields a fault wins."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 - reproducible chaos, not crypto
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [rule for rule in self._rules if rule.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []
            self._random = random.Random(self._seed)  # noqa: S311

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy(deep=True) for rule in self._rules]

    def draw(self, method: str, path: str, tenant: str | None) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, tenant):
                    continue
                if rule.faults:
                    return rule.faults.pop(0)
                if rule.fault is None or rule.probability <= 0:
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if self._random.random() < rule.probability:
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.fault
            return None


class Latency(BaseModel):
    """Extra time added to every served call (sandbox seconds), to model a remote API."""

    seconds: float = Field(default=0.0, ge=0)
    jitter_seconds: float = Field(default=0.0, ge=0)


class ControlPlane:
    """Everything a sandbox's request gate consults, grouped so a test can reset it at once."""

    def __init__(
        self,
        clock: SandboxClock | None = None,
        limits: RateLimits | None = None,
        fault_seed: int = 0,
        latency: Latency | None = None,
    ) -> None:
        self.clock = clock or SandboxClock()
        self.counters = Counters()
        self.default_limits = (limits or RateLimits()).model_copy()
        self.limiter = RateLimiter(self.clock, self.default_limits.model_copy(), self.counters)
        self.faults = FaultPlan(fault_seed)
        self.default_latency = (latency or Latency()).model_copy()
        self.latency = self.default_latency.model_copy()
        self._random = random.Random(fault_seed)  # noqa: S311 - jitter only

    def reset(self) -> None:
        """Back to the configured limits, no faults, zero counters (the clock keeps running)."""
        self.counters.reset()
        self.limiter.limits = self.default_limits.model_copy()
        self.limiter.reset()
        self.faults.clear()
        self.latency = self.default_latency.model_copy()

    def call_latency(self) -> float:
        jitter = self.latency.jitter_seconds
        return self.latency.seconds + (self._random.uniform(0, jitter) if jitter else 0.0)

    def retry_after_header(self, sandbox_seconds: float) -> str:
        """``Retry-After`` is what a client sleeps on, so it is given in real seconds (≥ 1)."""
        return str(max(1, math.ceil(self.clock.to_real(sandbox_seconds))))

    async def serve(
        self,
        request: Request,
        call_next: Callable[[Request], Awaitable[Response]],
        fault: Fault | None,
        render: Callable[[Fault], Response],
    ) -> Response:
        """Apply a drawn fault (``render`` draws it in the vendor's words), then the configured
        latency, then the route."""
        if fault is not None:
            self.counters.count_fault(fault.kind)
            if fault.kind == "slow":
                await self.clock.sleep(fault.delay_seconds)
            elif fault.kind == "timeout":
                await self.hang(fault.delay_seconds, request.is_disconnected)
                return render(fault)
            else:
                return render(fault)
        await self.clock.sleep(self.call_latency())
        return await call_next(request)

    async def hang(
        self, sandbox_seconds: float, disconnected: Callable[[], Awaitable[bool]]
    ) -> None:
        """Wait like a stuck upstream, but stop early once the client has given up."""
        deadline = time.monotonic() + self.clock.to_real(sandbox_seconds)
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))
            if await disconnected():
                return


class SandboxHooks(Protocol):
    """What a platform sandbox offers the control plane (its own data, its own seed format)."""

    def reset(self) -> None: ...

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]: ...


class ClockChange(BaseModel):
    advance_seconds: float = Field(default=0.0, ge=0)
    scale: float | None = Field(default=None, gt=0)


class ResetRequest(BaseModel):
    data: bool = True
    control: bool = True


def create_control_router(plane: ControlPlane, hooks: SandboxHooks) -> APIRouter:
    """Endpoints under ``/_control`` that tests, benchmarks and humans use to steer a sandbox.

    They are deliberately unauthenticated: a sandbox is a local development tool and binding it
    to a public interface is the operator's decision.
    """
    router = APIRouter(prefix="/_control", tags=["control"])

    @router.post("/reset")
    def reset(request: ResetRequest | None = None) -> dict[str, Any]:
        request = request or ResetRequest()
        if request.data:
            hooks.reset()
        if request.control:
            plane.reset()
        return {"reset": True}

    @router.post("/seed")
    def seed(payload: dict[str, Any] = Body(default_factory=dict)) -> dict[str, Any]:
        try:
            return hooks.seed(payload)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error

    @router.get("/faults")
    def list_faults() -> list[FaultRule]:
        return plane.faults.rules()

    @router.post("/faults", status_code=201)
    def add_fault(rule: FaultRule) -> FaultRule:
        return plane.faults.add(rule)

    @router.delete("/faults", status_code=204)
    def clear_faults() -> None:
        plane.faults.clear()

    @router.delete("/faults/{rule_id}", status_code=204)
    def remove_fault(rule_id: str) -> None:
        if not plane.faults.remove(rule_id):
            raise HTTPException(status_code=404, detail="no such fault rule")

    @router.get("/counters")
    def counters() -> dict[str, Any]:
        return plane.counters.snapshot()

    @router.delete("/counters", status_code=204)
    def reset_counters() -> None:
        plane.counters.reset()

    @router.get("/latency")
    def get_latency() -> Latency:
        return plane.latency

    @router.put("/latency")
    def set_latency(latency: Latency) -> Latency:
        plane.latency = latency
        return latency

    @router.get("/limits")
    def get_limits() -> RateLimits:
        return plane.limiter.limits

    @router.put("/limits")
    def set_limits(limits: RateLimits) -> RateLimits:
        plane.limiter.limits = limits
        plane.limiter.reset()
        return limits

    @router.get("/clock")
    def get_clock() -> dict[str, Any]:
        return {"now": plane.clock.now().isoformat(), "scale": plane.clock.scale}

    @router.post("/clock")
    def change_clock(change: ClockChange) -> dict[str, Any]:
        if change.scale is not None:
            plane.clock.set_scale(change.scale)
        if change.advance_seconds:
            plane.clock.advance(change.advance_seconds)
        return {"now": plane.clock.now().isoformat(), "scale": plane.clock.scale}

    return router
