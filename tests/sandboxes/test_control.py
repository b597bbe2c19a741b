"""The shared control plane on its own: clock, limiter, fault plan, control endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spendsync.sandboxes.control import (
    ControlPlane,
    Counters,
    Fault,
    FaultPlan,
    FaultRule,
    RateLimiter,
    RateLimits,
    SandboxClock,
    create_control_router,
)


def test_clock_advance_and_scale() -> None:
    clock = SandboxClock(start=datetime(2024, 1, 1, tzinfo=UTC))
    start = clock.seconds()
    clock.advance(1800)
    assert clock.seconds() - start == pytest.approx(1800, abs=1)
    clock.set_scale(60)
    assert clock.scale == 60
    assert clock.to_real(60) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        clock.set_scale(0)


def test_minute_limit_rejects_and_counts_violations() -> None:
    clock = SandboxClock()
    counters = Counters()
    limiter = RateLimiter(clock, RateLimits(per_minute=3, concurrent=None), counters)
    for _ in range(3):
        assert limiter.admit("t1", "app").allowed
        limiter.release("t1")
    verdict = limiter.admit("t1", "app")
    assert not verdict.allowed
    assert verdict.problem == "minute"
    assert 0 < verdict.retry_after <= 60
    assert limiter.admit("t2", "app").allowed  # limits are per tenant
    assert counters.snapshot()["limitViolationsByTenant"] == {"t1": 1}
    clock.advance(61)
    assert limiter.admit("t1", "app").allowed  # the sliding window moved on


def test_day_app_and_concurrency_limits() -> None:
    clock = SandboxClock()
    counters = Counters()
    limiter = RateLimiter(clock, RateLimits(per_minute=None, per_day=2, concurrent=None), counters)
    assert limiter.admit("t", "a").allowed
    assert limiter.admit("t", "a").allowed
    assert limiter.admit("t", "a").problem == "day"
    limiter.limits = RateLimits(per_minute=None, per_day=None, app_per_minute=1, concurrent=None)
    limiter.reset()
    assert limiter.admit("t1", "a").allowed
    assert limiter.admit("t2", "a").problem == "appminute"
    limiter.limits = RateLimits(per_minute=None, concurrent=2)
    limiter.reset()
    assert limiter.admit("t", "a").allowed
    assert limiter.admit("t", "a").allowed
    rejected = limiter.admit("t", "a")
    assert (rejected.allowed, rejected.problem) == (False, "concurrent")
    limiter.release("t")
    assert limiter.admit("t", "a").allowed
    assert counters.snapshot()["maxConcurrencyByTenant"]["t"] == 2


def test_closest_approach_to_a_limit_is_reported_per_tenant() -> None:
    clock = SandboxClock()
    counters = Counters()
    limits = RateLimits(per_minute=None, per_day=None, per_second=3, concurrent=None, enforce=False)
    limiter = RateLimiter(clock, limits, counters)
    for step in (0.0, 0.2, 0.3, 0.9, 0.4, 0.5):  # 4 calls at the tightest span 1.4 s
        clock.advance(step)
        assert limiter.admit("t", "a").allowed
    closest = counters.snapshot()["closestApproachByTenant"]
    assert closest == {"t": {"second": pytest.approx(1.4, abs=0.01)}}
    clock.advance(1.0)
    for _ in range(3):
        assert limiter.admit("t", "a").allowed
        clock.advance(0.3)
    assert limiter.admit("t", "a").problem == "second"  # 0.9 s after the third call before it
    closest = counters.snapshot()["closestApproachByTenant"]
    assert closest["t"]["second"] == pytest.approx(0.9, abs=0.01)
    assert counters.snapshot()["limitViolations"] == 1
    counters.reset()
    assert counters.snapshot()["closestApproachByTenant"] == {}


def test_unenforced_limits_serve_but_count() -> None:
    counters = Counters()
    limiter = RateLimiter(SandboxClock(), RateLimits(per_minute=1, enforce=False), counters)
    assert limiter.admit("t", "a").allowed
    over = limiter.admit("t", "a")
    assert over.allowed
    assert over.problem == "minute"
    assert counters.snapshot()["limitViolations"] == 1
    assert counters.snapshot()["rateLimitedByProblem"] == {}


def test_fault_queue_then_probability_is_reproducible() -> None:
    plan = FaultPlan(seed=7)
    plan.add(
        FaultRule(
            method="PUT",
            path="/api.xro/2.0/BankTransactions*",
            faults=[Fault(kind="error", status=503), Fault(kind="rate_limit")],
        )
    )
    assert plan.draw("GET", "/api.xro/2.0/BankTransactions", None) is None
    first = plan.draw("PUT", "/api.xro/2.0/BankTransactions", None)
    second = plan.draw("PUT", "/api.xro/2.0/BankTransactions", None)
    assert first is not None
    assert second is not None
    assert (first.kind, first.status, second.kind) == ("error", 503, "rate_limit")
    assert plan.draw("PUT", "/api.xro/2.0/BankTransactions", None) is None

    def pattern(seed: int) -> list[bool]:
        chaos = FaultPlan(seed=seed)
        chaos.add(FaultRule(fault=Fault(kind="error"), probability=0.5, times=5))
        return [chaos.draw("GET", "/x", None) is not None for _ in range(40)]

    assert pattern(3) == pattern(3)
    assert sum(pattern(3)) == 5  # capped by `times`


class _Hooks:
    def __init__(self) -> None:
        self.resets = 0
        self.seeds: list[dict[str, Any]] = []

    def reset(self) -> None:
        self.resets += 1

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.seeds.append(payload)
        return {"ok": True}


def test_control_router_endpoints() -> None:
    plane = ControlPlane()
    hooks = _Hooks()
    app = FastAPI()
    app.include_router(create_control_router(plane, hooks))
    with TestClient(app) as client:
        created = client.post("/_control/faults", json={"path": "/x", "faults": [{"kind": "slow"}]})
        assert created.status_code == 201
        assert len(client.get("/_control/faults").json()) == 1
        assert client.delete(f"/_control/faults/{created.json()['id']}").status_code == 204
        assert client.put("/_control/latency", json={"seconds": 0.5}).json()["seconds"] == 0.5
        assert client.put("/_control/limits", json={"per_minute": 10}).json()["per_minute"] == 10
        assert plane.limiter.limits.per_minute == 10
        moved = client.post("/_control/clock", json={"advance_seconds": 3600, "scale": 2})
        assert moved.json()["scale"] == 2
        assert client.post("/_control/seed", json={"a": 1}).json() == {"ok": True}
        assert client.post("/_control/reset").json() == {"reset": True}
        assert hooks.resets == 1
        assert plane.limiter.limits.per_minute == 60  # back to the configured limits
        assert plane.latency.seconds == 0
        assert client.get("/_control/counters").json()["requestsTotal"] == 0
