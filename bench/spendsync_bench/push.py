"""Pushing a workload through spendsync's Codat-compatible API and timing it to the end."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from spendsync_bench.infra import Company, Sandbox, Spendsync, SyncTimes, payments, wait_syncs


@dataclass(frozen=True)
class PushRun:
    transactions: int
    seconds: float  # first POST sent → last sync completed
    calls: int  # platform API calls the sandbox served to this tenant during the run
    violations: int  # rate-limit violations the sandbox counted during the run
    too_many: int  # 429s served
    syncs: list[SyncTimes]
    violated: dict[str, int] | None = None  # violations by the limit crossed (second, minute…)
    # The tenant's closest approach to each per-second / per-minute limit, in windows: the
    # shortest time any L + 1 consecutive calls took, L the limit (< 1.0: crossed).
    closest: dict[str, float] | None = None

    @property
    def per_minute(self) -> float:
        return self.transactions / self.seconds * 60


def post_batches(
    deployment: Spendsync, company: Company, batches: list[list[dict[str, Any]]], threads: int = 4
) -> list[str]:
    path = f"/companies/{company.id}/sync/expenses/expense-transactions"

    def post(batch: list[dict[str, Any]]) -> str:
        with httpx.Client(base_url=company.api, headers=deployment.headers, timeout=120) as c:
            response = c.post(path, json=batch)
        if response.status_code != 200:
            raise RuntimeError(f"push refused: {response.status_code} {response.text[:500]}")
        return str(response.json()["syncId"])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(post, batches))


def push_and_wait(
    deployment: Spendsync,
    sandbox: Sandbox,
    company: Company,
    count: int,
    batch: int,
    timeout: float = 3600,
) -> PushRun:
    platform = sandbox.spec.platform
    items = payments(company, platform, count)
    batches = [items[i : i + batch] for i in range(0, count, batch)]
    sandbox.control("DELETE", "/counters")  # the closest approach is this run's alone
    before = sandbox.counters()
    started = time.monotonic()
    sync_ids = post_batches(deployment, company, batches)
    times = wait_syncs(deployment, sync_ids, timeout)
    seconds = time.monotonic() - started
    after = sandbox.counters()
    failed = [t for t in times if t.status_code != 2000]
    if failed:
        raise RuntimeError(f"{len(failed)} syncs did not complete: {failed[:3]}")

    def delta(name: str, tenant: str | None = None) -> int:
        if tenant is None:
            return int(after[name]) - int(before[name])
        return int(after[name].get(tenant, 0)) - int(before[name].get(tenant, 0))

    return PushRun(
        transactions=count,
        seconds=seconds,
        calls=delta("requestsByTenant", company.tenant),
        violations=delta("limitViolations"),
        too_many=delta("tooManyRequestsServed"),
        syncs=times,
        closest=after.get("closestApproachByTenant", {}).get(company.tenant),
        violated={
            problem: count - int(before["limitViolationsByProblem"].get(problem, 0))
            for problem, count in after["limitViolationsByProblem"].items()
            if count > int(before["limitViolationsByProblem"].get(problem, 0))
        },
    )
