"""Benchmark 5: the scale curve on PostgreSQL. C companies, each linked to its own Xero
organisation, each sent 100 transactions (two requests of 50) at once; W `spendsync worker`
processes; the time from the first request to the last sync completed.

The Xero sandbox keeps Xero's limits per organisation on a clock where a minute lasts one
second (60 calls a second and 5 in flight per organisation), with per-call latency scaled the
same way; companies are linked once and reused for every (C, W) point.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from spendsync_bench.infra import (
    XERO_CLIENT,
    Company,
    SandboxSpec,
    _process,
    link_company,
    payments,
    platform_env,
    postgres_database,
    running_sandbox,
    running_spendsync,
    wait_for,
    wait_syncs,
    with_accounts,
)

PER_COMPANY = 100
SCALE = 60.0
LATENCY = 0.5  # sandbox seconds per call (8 ms real at this scale)


def run_scale(
    company_counts: list[int],
    worker_counts: list[int],
    workdir: Path,
    log: Any = print,
    budget_seconds: float | None = None,
) -> list[dict[str, Any]]:
    spec = SandboxSpec("xero", SCALE, LATENCY, LATENCY / 2, {"per_day": None})
    points: list[dict[str, Any]] = []
    began = time.monotonic()
    most = max(company_counts)
    with ExitStack() as stack:
        sandbox = stack.enter_context(running_sandbox(spec, workdir))
        url = stack.enter_context(postgres_database("benchscale"))
        env = platform_env(sandbox) | {
            "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.1",
            "SPENDSYNC_WORKER_HEARTBEAT_SECONDS": "1",
        }
        deployment = stack.enter_context(
            running_spendsync(workdir / "scale", env, database_url=url, apis=2, workers=0)
        )
        # Both APIs answer under the first one's public URL (as behind a load balancer).
        sandbox.register_app(XERO_CLIENT, f"{deployment.api}/link/callback/xero")
        # Linking (and the reference-data pulls it starts) needs a worker.
        linker = stack.enter_context(
            _process(
                [sys.executable, "-m", "spendsync", "worker", "--concurrency", "16"],
                deployment.env,
                workdir / "linker.log",
            )
        )
        names = [f"Scale Org {n}" for n in range(most)]
        orgs = sandbox.control("POST", "/xero/organisations", {"names": names})
        started = time.monotonic()
        companies: list[Company] = []
        for n, org in enumerate(orgs):
            companies.append(
                link_company(
                    deployment,
                    sandbox,
                    org["name"],
                    org["tenantId"],
                    api=deployment.apis[n % 2],
                    wait=False,
                )
            )
            if (n + 1) % 50 == 0:
                log(f"  scale: {n + 1}/{most} companies linked")
        companies = [with_accounts(deployment, c) for c in companies]
        log(f"  scale: {most} companies linked in {time.monotonic() - started:.0f}s")
        linker.terminate()
        linker.wait(30)

        for workers in worker_counts:
            for count in company_counts:
                if budget_seconds and time.monotonic() - began > budget_seconds:
                    log(f"  scale: out of time budget, skipping {count} x {workers}")
                    continue
                points.append(_point(deployment, sandbox, companies[:count], workers, workdir))
                log(
                    f"  scale: {count} companies x {PER_COMPANY} with {workers} workers: "
                    f"{points[-1]['seconds']:.1f}s"
                )
    return points


def _point(
    deployment: Any, sandbox: Any, companies: list[Company], workers: int, workdir: Path
) -> dict[str, Any]:
    before = sandbox.counters()
    with ExitStack() as stack:
        processes: list[subprocess.Popen[bytes]] = [
            stack.enter_context(
                _process(
                    [sys.executable, "-m", "spendsync", "worker", "--concurrency", "8"],
                    deployment.env,
                    workdir / f"scale-worker{n}.log",
                )
            )
            for n in range(workers)
        ]
        # Ready once every worker process has recorded its heartbeat (it does so once its job
        # engine has started and it can dequeue).
        pids = {p.pid for p in processes}

        def ready() -> bool | None:
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a worker exited; see the scale-worker logs")
            with deployment.engine().connect() as conn:
                seen = {int(r[0]) for r in conn.execute(text("SELECT pid FROM worker_heartbeats"))}
            return pids <= seen or None

        wait_for(ready, 120, "workers' heartbeats", every=0.2)
        jobs = [(c, half) for c in companies for half in range(PER_COMPANY // 50)]

        def post(job: tuple[Company, int]) -> str:
            company, half = job
            with httpx.Client(base_url=company.api, headers=deployment.headers, timeout=120) as c:
                response = c.post(
                    f"/companies/{company.id}/sync/expenses/expense-transactions",
                    json=payments(company, "xero", 50, first=half * 50),
                )
            response.raise_for_status()
            return str(response.json()["syncId"])

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            sync_ids = list(pool.map(post, jobs))
        posted = time.monotonic() - started
        times = wait_syncs(deployment, sync_ids, 3600)
        seconds = time.monotonic() - started
    after = sandbox.counters()
    failed = sum(1 for t in times if t.status_code != 2000)
    return {
        "companies": len(companies),
        "workers": workers,
        "transactions": len(companies) * PER_COMPANY,
        "seconds": seconds,
        "post_seconds": posted,
        "failed_syncs": failed,
        "violations": after["limitViolations"] - before["limitViolations"],
    }
