"""Scale-out under load, on PostgreSQL: two API processes and three worker processes, many
companies each linked to its own Xero organisation, transactions pushed concurrently through
both APIs. Every transaction ends Completed exactly once in the sandbox's books, no company
ever has two syncs writing at once, and no organisation ever sees more than Xero's limits (the
sandbox counts violations; zero allowed) — also while workers are SIGKILLed every few seconds
and the sandbox answers with 429s and 5xx.

CI-sized: 16 companies x 100 transactions (LOAD_COMPANIES changes it) on a Xero clock where a
minute lasts one second (so the per-tenant limit is 60 calls a second and 5 in flight); bench/
holds the full-size run.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from spendsync.config import Settings
from spendsync.jobs.engine import migrate_jobs_database
from spendsync.sandboxes.control import RateLimits
from spendsync.syncs.models import Sync
from tests.conftest import auth, throwaway_database
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET, running_xero_sandbox
from tests.live_server import free_port, running_server

pytestmark = pytest.mark.live

COMPANIES = int(os.environ.get("LOAD_COMPANIES", "16"))
PER_COMPANY = 100  # two requests of 50
WORKERS = 3


def _env(settings: Settings, jobs_url: str, sandbox: str, public_url: str) -> dict[str, str]:
    return {
        "SPENDSYNC_JOBS_DATABASE_URL": jobs_url,
        "SPENDSYNC_SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
        "SPENDSYNC_PUBLIC_URL": public_url,
        "SPENDSYNC_XERO_CLIENT_ID": CLIENT_ID,
        "SPENDSYNC_XERO_CLIENT_SECRET": CLIENT_SECRET,
        "SPENDSYNC_XERO_AUTHORIZE_URL": f"{sandbox}/identity/connect/authorize",
        "SPENDSYNC_XERO_TOKEN_URL": f"{sandbox}/connect/token",
        "SPENDSYNC_XERO_CONNECTIONS_URL": f"{sandbox}/connections",
        "SPENDSYNC_XERO_REVOCATION_URL": f"{sandbox}/connect/revocation",
        "SPENDSYNC_XERO_API_URL": f"{sandbox}/api.xro/2.0",
        # Xero's real limits on a clock where a minute lasts a second.
        "SPENDSYNC_XERO_CALLS_PER_MINUTE": "60",
        "SPENDSYNC_XERO_MINUTE_SECONDS": "1",
        "SPENDSYNC_XERO_MAX_CONCURRENT_CALLS": "5",
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.1",
        "SPENDSYNC_WORKER_HEARTBEAT_SECONDS": "0.5",
        "SPENDSYNC_WORKER_DEAD_AFTER_SECONDS": "3",
        "SPENDSYNC_DB_POOL_SIZE": "12",
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }


class Workers:
    """`spendsync worker` processes that a test can kill and replace."""

    def __init__(self, database_url: str, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env, "SPENDSYNC_DATABASE_URL": database_url}
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []
        self.killed = 0

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "spendsync", "worker", "--concurrency", "8"],
                    env=self.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )

    def kill_one(self) -> None:
        alive = [p for p in self.processes if p.poll() is None]
        victim = random.choice(alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.killed += 1
        self.start()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


@pytest.fixture
def cluster_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("the distributed run needs PostgreSQL (run with --db postgresql)")
    with throwaway_database(request, tmp_path_factory, "loadjobs") as jobs_url:
        yield jobs_url


def _link(api: str, sandbox: str, name: str, tenant: str, key: str) -> dict[str, str]:
    """A company linked, through the real OAuth redirect flow, to its own organisation."""
    headers = auth(key)
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:
        company = client.post("/companies", json={"name": name}).json()
        connection = client.post(
            f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}
        ).json()
    httpx.put(
        f"{sandbox}/_control/xero/consent", json={"auto": True, "tenant_ids": [tenant]}
    ).raise_for_status()
    to_xero = httpx.get(connection["linkUrl"], follow_redirects=False)
    back = httpx.get(to_xero.headers["location"], follow_redirects=False)
    done = httpx.get(back.headers["location"])
    assert done.status_code == 200, done.text
    return {"id": company["id"], "api": api}


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return result


def _payments(accounts: dict[str, str], first: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "Payment",
            "issueDate": "2026-11-05",
            "currency": "GBP",
            "merchantName": "Pret A Manger",
            "bankAccountRef": {"id": accounts["Company Card"]},
            "lines": [
                {
                    "netAmount": str(Decimal(first + n) / 100 + 1),
                    "accountRef": {"id": accounts["Travel - National"]},
                }
            ],
        }
        for n in range(50)
    ]


def _books(sandbox: str, tenant: str) -> list[Decimal]:
    token = httpx.post(f"{sandbox}/_control/xero/tokens", json={"client_id": CLIENT_ID})
    totals: list[Decimal] = []
    page = 1
    while True:
        found = httpx.get(
            f"{sandbox}/api.xro/2.0/BankTransactions",
            params={"page": page},
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "xero-tenant-id": tenant,
                "Accept": "application/json",
            },
        ).json()["BankTransactions"]
        totals += [Decimal(str(t["Total"])) for t in found]
        if len(found) < 100:
            return sorted(totals)
        page += 1


@pytest.mark.timeout(900)
@pytest.mark.parametrize("chaos", [False, True], ids=["steady", "kills-429s-5xx"])
def test_many_companies_through_two_apis_and_three_workers(
    cluster_databases: str,
    database_url: str,
    settings: Settings,
    engine: Engine,
    new_key,
    tmp_path: Path,
    chaos: bool,
) -> None:
    jobs_url = cluster_databases
    migrate_jobs_database(settings.model_copy(update={"jobs_database_url": jobs_url}))
    limits = RateLimits(per_minute=60, minute_seconds=1.0, concurrent=5, enforce=False)
    key = new_key().key
    with ExitStack() as stack:
        sandbox = stack.enter_context(running_xero_sandbox(rate_limits=limits))
        ports = [free_port(), free_port()]
        public = f"http://127.0.0.1:{ports[0]}"  # the load balancer's address, in effect
        httpx.post(
            f"{sandbox}/_control/xero/apps",
            json={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{public}/link/callback/xero"],
            },
        )
        env = _env(settings, jobs_url, sandbox, public)
        for n in range(len(ports)):
            (tmp_path / f"api{n}").mkdir()
        apis = [
            stack.enter_context(
                running_server(
                    database_url,
                    tmp_path / f"api{n}",
                    jobs_database_url=jobs_url,
                    worker=False,
                    port=port,
                    extra_env=env,
                    timeout=90,
                )
            )
            for n, port in enumerate(ports)
        ]
        workers = Workers(database_url, env, tmp_path / "workers.log")
        stack.callback(workers.stop)
        for _ in range(WORKERS):
            workers.start()

        names = [f"Load Org {n}" for n in range(COMPANIES)]
        added = httpx.post(f"{sandbox}/_control/xero/organisations", json={"names": names})
        tenants = {o["name"]: o["tenantId"] for o in added.json()}
        companies = [
            _link(apis[n % 2], sandbox, name, tenants[name], key) | {"tenant": tenants[name]}
            for n, name in enumerate(names)
        ]
        headers = auth(key)

        def read(company: dict[str, str]) -> dict[str, str] | None:
            history = httpx.get(
                f"{company['api']}/companies/{company['id']}/data/history", headers=headers
            ).json()["results"]
            if len([p for p in history if p["isCompleted"]]) < 5:
                return None
            options = httpx.get(
                f"{company['api']}/companies/{company['id']}/sync/expenses/mappingOptions",
                headers=headers,
            ).json()
            return {a["name"]: a["id"] for a in options["accounts"]}

        accounts = [_wait(lambda c=c: read(c), 120, "reference data") for c in companies]

        if chaos:
            stop = threading.Event()
            for rule in (
                {"kind": "rate_limit", "retry_after_seconds": 0.5},
                {"kind": "error", "status": 503},
            ):
                httpx.post(
                    f"{sandbox}/_control/faults",
                    json={
                        "method": "PUT",
                        "path": "/api.xro/2.0/*",
                        "fault": rule,
                        "probability": 0.1,
                    },
                ).raise_for_status()

            def chaos_monkey() -> None:
                while not stop.wait(3.0):
                    workers.kill_one()

            monkey = threading.Thread(target=chaos_monkey, daemon=True)
            monkey.start()

        def push(job: tuple[int, int]) -> str:
            index, half = job
            company = companies[index]
            api = apis[(index + half) % 2]  # both API processes take writes
            response = httpx.post(
                f"{api}/companies/{company['id']}/sync/expenses/expense-transactions",
                json=_payments(accounts[index], half * 50),
                headers=headers,
                timeout=60,
            )
            assert response.status_code == 200, response.text
            return str(response.json()["syncId"])

        jobs = [(i, h) for i in range(COMPANIES) for h in range(PER_COMPANY // 50)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            sync_ids = list(pool.map(push, jobs))

        def finished() -> bool:
            with engine.connect() as conn:
                open_syncs = conn.scalar(
                    select(Sync.id).where(Sync.id.in_(sync_ids), Sync.completed.is_(None)).limit(1)
                )
            return open_syncs is None

        _wait(finished, 300, "every sync to finish")
        if chaos:
            stop.set()
            monkey.join(timeout=30)
            assert workers.killed >= 2

        with engine.connect() as conn:
            syncs = conn.execute(
                select(Sync.company_id, Sync.started, Sync.completed, Sync.status_code).where(
                    Sync.id.in_(sync_ids)
                )
            ).all()
        assert {row.status_code for row in syncs} == {2000}
        # Never two syncs of one company writing at once, across all workers.
        by_company: dict[str, list[Any]] = {}
        for row in syncs:
            by_company.setdefault(row.company_id, []).append(row)
        for rows in by_company.values():
            rows.sort(key=lambda r: r.started)
            for earlier, later in itertools.pairwise(rows):
                assert later.started >= earlier.completed
        # Every transaction exactly once in its own organisation's books.
        for company in companies:
            expected = sorted(Decimal(n) / 100 + 1 for n in range(PER_COMPANY))
            assert _books(sandbox, company["tenant"]) == expected
        counters = httpx.get(f"{sandbox}/_control/counters").json()
        assert counters["limitViolations"] == 0, counters
