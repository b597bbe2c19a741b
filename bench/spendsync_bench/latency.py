"""Benchmark 3: one transaction from `POST …/expense-transactions` to `Completed` on an idle
embedded default (`spendsync serve`, SQLite, its worker in-process), split into API time,
queue wait and platform time.

* API time: the POST as the client saw it (request sent → response read).
* Queue wait: the sync's `created` → `started` (the worker dequeued it and began).
* Platform time: the time spendsync spent in calls to the sandbox during the run, read from
  its own `spendsync_platform_call_duration_seconds` histogram (sum, before and after).
* Worker time: `started` → `completed` less platform time (spendsync's own work in the sync).
* End to end: POST sent → the sync's `completed` timestamp (same host clock).

The sandbox adds no latency of its own here, so platform time is the sandbox's real serving
time over loopback; it is reported separately, as the target asks.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from spendsync_bench.infra import (
    XERO_CLIENT,
    SandboxSpec,
    link_company,
    payments,
    platform_env,
    running_sandbox,
    running_spendsync,
    sync_times,
)

METRIC = re.compile(r"^spendsync_platform_call_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)$", re.M)


def _platform_seconds(api: str) -> float:
    return sum(float(v) for v in METRIC.findall(httpx.get(f"{api}/metrics").text))


@dataclass(frozen=True)
class LatencySample:
    end_to_end: float
    api: float
    queue: float
    platform: float
    worker: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run_latency(runs: int, workdir: Path, log: Any = print) -> dict[str, Any]:
    # Limits are lifted here (this measures a single transaction, not the budget): a run makes
    # three calls, and Xero's 60 a minute would otherwise space 200 runs over ten minutes.
    spec = SandboxSpec("xero", 1.0, 0.0, 0.0, {"per_day": None, "per_minute": None})
    samples: list[LatencySample] = []
    with running_sandbox(spec, workdir) as sandbox:
        env = platform_env(sandbox) | {"SPENDSYNC_XERO_CALLS_PER_MINUTE": "1000000"}
        with running_spendsync(workdir / "spendsync-latency", env) as deployment:
            sandbox.register_app(XERO_CLIENT, f"{deployment.api}/link/callback/xero")
            orgs = sandbox.control("POST", "/xero/organisations", {"names": ["Latency Org"]})
            company = link_company(deployment, sandbox, "Latency", orgs[0]["tenantId"])
            path = f"/companies/{company.id}/sync/expenses/expense-transactions"
            spacing = 0.1  # idle: each run starts after the previous one completed
            with deployment.client() as client:
                for n in range(runs + 3):  # the first three warm the process up
                    next_at = time.monotonic() + spacing
                    before = _platform_seconds(deployment.api)
                    sent = datetime.now(UTC)
                    t0 = time.perf_counter()
                    response = client.post(path, json=payments(company, "xero", 1, first=n))
                    api = time.perf_counter() - t0
                    response.raise_for_status()
                    sync_id = str(response.json()["syncId"])
                    while True:
                        seen = sync_times(deployment, [sync_id])
                        if seen and seen[0].completed is not None:
                            found = seen[0]
                            break
                        time.sleep(0.002)
                    if (
                        found.status_code != 2000
                        or found.started is None
                        or found.completed is None
                    ):
                        raise RuntimeError(f"sync {sync_id} ended {found.status_code}")
                    platform = _platform_seconds(deployment.api) - before
                    busy = (found.completed - found.started).total_seconds()
                    if n >= 3:
                        samples.append(
                            LatencySample(
                                end_to_end=(found.completed - sent).total_seconds(),
                                api=api,
                                queue=(found.started - found.created).total_seconds(),
                                platform=platform,
                                worker=busy - platform,
                            )
                        )
                    if n % 50 == 0:
                        log(f"  latency run {n}/{runs + 3}")
                    time.sleep(max(0.0, next_at - time.monotonic()))
            counters = sandbox.counters()

    def stats(name: str) -> dict[str, float]:
        values = [getattr(s, name) for s in samples]
        return {"p50": percentile(values, 50), "p99": percentile(values, 99)}

    excluded = [s.end_to_end - s.platform for s in samples]
    return {
        "runs": len(samples),
        "end_to_end": stats("end_to_end"),
        "api": stats("api"),
        "queue": stats("queue"),
        "platform": stats("platform"),
        "worker": stats("worker"),
        "without_platform": {"p50": percentile(excluded, 50), "p99": percentile(excluded, 99)},
        "violations": counters["limitViolations"],
    }
