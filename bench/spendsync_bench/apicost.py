"""Benchmark 4: what the API costs, and whether memory stays flat.

* API cost: requests/s and latency of `POST …/expense-transactions` with 50 transactions per
  request, from a closed-loop load generator (threads, each with its own keep-alive connection)
  over loopback, against one API process with no worker in it (the syncs it creates queue up),
  on the embedded default (SQLite) and on PostgreSQL.
* Memory: the RSS of the API process and of one worker process, sampled every half second over
  a long run on PostgreSQL; reported at a tenth of the run, at its end, and the peak.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text

from spendsync_bench.infra import (
    XERO_CLIENT,
    Company,
    Sandbox,
    SandboxSpec,
    Spendsync,
    link_company,
    payments,
    platform_env,
    postgres_database,
    running_sandbox,
    running_spendsync,
)
from spendsync_bench.latency import percentile

# Limits lifted: these runs measure spendsync's own costs, not the platform's budget.
OPEN_SPEC = SandboxSpec("xero", 1.0, 0.0, 0.0, {"per_day": None, "per_minute": None})
OPEN_ENV = {
    "SPENDSYNC_XERO_CALLS_PER_MINUTE": "10000000",
    "SPENDSYNC_XERO_MAX_CONCURRENT_CALLS": "50",
}


def _load(
    deployment: Spendsync, company: Company, seconds: float, threads: int
) -> dict[str, float]:
    path = f"/companies/{company.id}/sync/expenses/expense-transactions"
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(seed: int) -> None:
        nonlocal errors
        n = seed * 1_000_000
        with httpx.Client(base_url=company.api, headers=deployment.headers, timeout=60) as c:
            while time.monotonic() < stop_at:
                body = payments(company, "xero", 50, first=n)
                n += 50
                t0 = time.perf_counter()
                response = c.post(path, json=body)
                elapsed = time.perf_counter() - t0
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, range(threads)))
    wall = time.monotonic() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": wall,
        "rps": len(latencies) / wall,
        "tx_per_s": len(latencies) * 50 / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


def _linked(deployment: Spendsync, sandbox: Sandbox, name: str) -> Company:
    sandbox.register_app(XERO_CLIENT, f"{deployment.api}/link/callback/xero")
    orgs = sandbox.control("POST", "/xero/organisations", {"names": [name]})
    return link_company(deployment, sandbox, name, orgs[0]["tenantId"])


def run_api_cost(
    database: str, seconds: float, threads: int, workdir: Path, log: Any = print
) -> dict[str, Any]:
    with running_sandbox(OPEN_SPEC, workdir) as sandbox:
        env = platform_env(sandbox) | OPEN_ENV
        if database == "sqlite":
            data = workdir / "api-sqlite"
            with running_spendsync(data, env) as linking:
                company = _linked(linking, sandbox, "API cost SQLite")
                key, secret = linking.key, linking.env["SPENDSYNC_SECRET_KEY"]
            # The same data directory again, API only.
            with running_spendsync(
                data, env | {"SPENDSYNC_SECRET_KEY": secret}, embedded_worker=False, key=key
            ) as deployment:
                company = Company(company.id, deployment.api, company.tenant, company.accounts)
                _load(deployment, company, min(5.0, seconds), threads)  # warm-up
                result = _load(deployment, company, seconds, threads)
        else:
            with (
                postgres_database("benchapi") as url,
                running_spendsync(
                    workdir / "api-pg", env, database_url=url, workers=1
                ) as deployment,
            ):
                company = _linked(deployment, sandbox, "API cost PostgreSQL")
                deployment.processes["worker0"].terminate()
                deployment.processes["worker0"].wait(30)
                _load(deployment, company, min(5.0, seconds), threads)
                result = _load(deployment, company, seconds, threads)
    log(f"  API cost on {database}: {result['rps']:.1f} req/s, p99 {result['p99'] * 1000:.0f} ms")
    return {"database": database, "threads": threads, **result}


def _rss(process: Any) -> int:
    try:
        return int(psutil.Process(process.pid).memory_info().rss)
    except psutil.Error:
        return 0


MIB = 1024 * 1024


def run_memory(total: int, companies: int, workdir: Path, log: Any = print) -> dict[str, Any]:
    """Push `total` transactions (batches of 50, spread over `companies`) through one API and
    one worker process on PostgreSQL, sampling both processes' RSS."""
    samples: list[tuple[int, int, int]] = []  # (transactions completed, api rss, worker rss)
    with running_sandbox(OPEN_SPEC, workdir) as sandbox, postgres_database("benchmem") as url:
        env = platform_env(sandbox) | OPEN_ENV
        with running_spendsync(
            workdir / "memory", env, database_url=url, workers=1, worker_concurrency=8
        ) as deployment:
            sandbox.register_app(XERO_CLIENT, f"{deployment.api}/link/callback/xero")
            names = [f"Memory Org {n}" for n in range(companies)]
            orgs = sandbox.control("POST", "/xero/organisations", {"names": names})
            linked = [link_company(deployment, sandbox, o["name"], o["tenantId"]) for o in orgs]
            api, worker = deployment.processes["api0"], deployment.processes["worker0"]
            done = threading.Event()

            def completed() -> int:
                with deployment.engine().connect() as conn:
                    return int(
                        conn.scalar(
                            text(
                                "SELECT count(*) FROM sync_transactions WHERE status = 'Completed'"
                            )
                        )
                        or 0
                    )

            def sample() -> None:
                while not done.is_set():
                    samples.append((completed(), _rss(api), _rss(worker)))
                    done.wait(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.monotonic()
            batches = total // 50

            def post(n: int) -> None:
                company = linked[n % companies]
                with httpx.Client(
                    base_url=company.api, headers=deployment.headers, timeout=120
                ) as c:
                    body = payments(company, "xero", 50, first=n * 50)
                    response = c.post(
                        f"/companies/{company.id}/sync/expenses/expense-transactions", json=body
                    )
                    response.raise_for_status()

            # Pushed in waves so that the queue never holds more than a few thousand syncs.
            wave = 200
            for start in range(0, batches, wave):
                with ThreadPoolExecutor(max_workers=2) as pool:
                    list(pool.map(post, range(start, min(batches, start + wave))))
                while start + wave < batches and completed() < (start + wave // 2) * 50:
                    time.sleep(0.5)
                if (start // wave) % 10 == 0:
                    log(f"  memory run: {start * 50} pushed, {completed()} completed")
            while completed() < total:
                time.sleep(0.5)
            seconds = time.monotonic() - started
            done.set()
            sampler.join(5)
            samples.append((completed(), _rss(api), _rss(worker)))

    def at(fraction: float, column: int) -> int:
        wanted = total * fraction
        return next(s[column] for s in samples if s[0] >= wanted)

    # RSS as the run went: at each tenth of it, and at the 10,000 and 100,000.
    marks = sorted({total * k // 10 for k in range(1, 11)} | {m for m in (10_000, 100_000)})
    profile = [
        (mark, at(mark / total, 1) / MIB, at(mark / total, 2) / MIB)
        for mark in marks
        if mark <= total
    ]
    tenth_worker, end_worker = at(0.1, 2), samples[-1][2]
    tenth_api, end_api = at(0.1, 1), samples[-1][1]
    mib = MIB
    by_mark = {mark: worker for mark, _, worker in profile}
    result = {
        "transactions": total,
        "companies": companies,
        "seconds": seconds,
        "worker_rss_at_tenth_mib": tenth_worker / mib,
        "worker_rss_at_end_mib": end_worker / mib,
        "worker_peak_mib": max(s[2] for s in samples) / mib,
        "worker_growth": end_worker / tenth_worker - 1,
        "api_rss_at_tenth_mib": tenth_api / mib,
        "api_rss_at_end_mib": end_api / mib,
        "api_peak_mib": max(s[1] for s in samples) / mib,
        "api_growth": end_api / tenth_api - 1,
        "profile": profile,  # (transactions completed, api MiB, worker MiB)
        # The target: from 10,000 to 100,000 transactions (None on shorter runs).
        "worker_growth_10k_100k": by_mark[100_000] / by_mark[10_000] - 1
        if 100_000 in by_mark and 10_000 in by_mark
        else None,
        "samples": [(s[0], s[1] / mib, s[2] / mib) for s in samples],
    }
    log(
        f"  memory: worker {result['worker_rss_at_tenth_mib']:.0f} → "
        f"{result['worker_rss_at_end_mib']:.0f} MiB, API {result['api_rss_at_tenth_mib']:.0f} → "
        f"{result['api_rss_at_end_mib']:.0f} MiB over {total} transactions in {seconds:.0f}s"
    )
    return result
