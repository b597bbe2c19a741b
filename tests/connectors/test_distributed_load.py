"""Scale-out under load, on PostgreSQL: two API processes and three worker processes, many
companies, half linked each to its own Xero organisation and half each to its own QuickBooks
Online company, transactions pushed concurrently through both APIs. Every transaction ends
Completed exactly once in its platform's books, no company ever has two syncs writing at once,
and no organisation or realm ever sees more than its platform's limits (the sandboxes count
violations; zero allowed) — also while workers are SIGKILLed every few seconds and the
sandboxes answer with 429s and 5xx.

CI-sized: 16 companies x 100 transactions (LOAD_COMPANIES changes it). Xero runs on a clock
where a minute lasts one second (so the per-tenant limit is 60 calls a second and 5 in flight);
QBO on its real limits (500 a minute, 10 a second and 10 in flight per realm). The full-size
run (LOAD_COMPANIES=200: 20,000 transactions) is recorded in bench/.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from spendsync.config import Settings
from spendsync.jobs.engine import migrate_jobs_database
from spendsync.sandboxes.control import RateLimits
from spendsync.sandboxes.qbo.app import qbo_limits
from spendsync.syncs.models import Sync
from tests.conftest import auth, throwaway_database
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.connector_scenarios import card_payment
from tests.connectors.processes import Workers, sandbox_process
from tests.connectors.qbo_support import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    READER_APP,
    QboBooks,
)
from tests.live_server import free_port, running_server

pytestmark = pytest.mark.live

COMPANIES = int(os.environ.get("LOAD_COMPANIES", "16"))
PER_COMPANY = 100  # two requests of 50
WORKERS = 3


def _env(
    settings: Settings, jobs_url: str, sandbox: str, qbo: str, public_url: str
) -> dict[str, str]:
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
        # QuickBooks Online on its real limits (spendsync's defaults: 500/min, 10/s, 10 in flight).
        "SPENDSYNC_QBO_CLIENT_ID": QBO_CLIENT_ID,
        "SPENDSYNC_QBO_CLIENT_SECRET": QBO_CLIENT_SECRET,
        "SPENDSYNC_QBO_AUTHORIZE_URL": f"{qbo}/connect/oauth2",
        "SPENDSYNC_QBO_TOKEN_URL": f"{qbo}/oauth2/v1/tokens/bearer",
        "SPENDSYNC_QBO_REVOCATION_URL": f"{qbo}/v2/oauth2/tokens/revoke",
        "SPENDSYNC_QBO_API_URL": f"{qbo}/v3",
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.1",
        "SPENDSYNC_WORKER_HEARTBEAT_SECONDS": "0.5",
        "SPENDSYNC_WORKER_DEAD_AFTER_SECONDS": "3",
        # Five processes well within PostgreSQL's 100 connections.
        "SPENDSYNC_DB_POOL_SIZE": "6",
        "SPENDSYNC_JOBS_DB_POOL_SIZE": "8",
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }


class ChaosWorkers(Workers):
    """Workers of which one, picked at random, can be SIGKILLed and replaced."""

    killed = 0

    def kill_one(self) -> None:
        self.kill(random.choice([p for p in self.processes if p.poll() is None]))
        self.killed += 1
        self.start()


@pytest.fixture
def cluster_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("the distributed run needs PostgreSQL (run with --db postgresql)")
    with throwaway_database(request, tmp_path_factory, "loadjobs") as jobs_url:
        yield jobs_url


@dataclass(frozen=True)
class Platform:
    """What the load needs to know of a platform: its key, how to aim consent at one of its
    companies, the expense account the payments post to, and how to read its books."""

    key: str
    sandbox: str
    consent: Callable[[str], dict[str, Any]]
    expense_account: str
    books: Callable[[str, str], list[Decimal]]

    def link(self, api: str, name: str, tenant: str, key: str) -> dict[str, str]:
        """A company linked, through the real OAuth redirect flow, to its own books."""
        with httpx.Client(base_url=api, headers=auth(key), timeout=30) as client:
            company = client.post("/companies", json={"name": name}).json()
            connection = client.post(
                f"/companies/{company['id']}/connections", json={"platformKey": self.key}
            ).json()
        platform = "xero" if self.key == "gbol" else "qbo"
        httpx.put(
            f"{self.sandbox}/_control/{platform}/consent", json=self.consent(tenant)
        ).raise_for_status()
        to_platform = httpx.get(connection["linkUrl"], follow_redirects=False)
        back = httpx.get(to_platform.headers["location"], follow_redirects=False)
        done = httpx.get(back.headers["location"])
        assert done.status_code == 200, done.text
        return {"id": company["id"], "api": api, "tenant": tenant, "platform": self.key}


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return result


def _payments(accounts: dict[str, str], expense: str, first: int) -> list[dict[str, Any]]:
    line = {"accountRef": {"id": accounts[expense]}}
    return [
        card_payment(
            accounts["Company Card"], {**line, "netAmount": str(Decimal(first + n) / 100 + 1)}
        )
        for n in range(50)
    ]


def _xero_books(sandbox: str, tenant: str) -> list[Decimal]:
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


def _qbo_books(sandbox: str, realm: str) -> list[Decimal]:
    books = QboBooks(sandbox, realm)
    found = books.query("select * from Purchase startposition 1 maxresults 1000")
    return sorted(Decimal(str(p["TotalAmt"])) for p in found)


@pytest.mark.timeout(max(900, COMPANIES * 30))
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
    key = new_key().key
    with ExitStack() as stack:
        # Each sandbox in its own process, as a platform would be: their limits are measured,
        # and must not be skewed by this process's own load.
        sandbox = stack.enter_context(sandbox_process("xero", tmp_path / "xero.log"))
        qbo = stack.enter_context(sandbox_process("quickbooksonline", tmp_path / "qbo.log"))
        for url, limits in (
            (sandbox, RateLimits(per_minute=60, minute_seconds=1.0, concurrent=5, enforce=False)),
            (qbo, qbo_limits().model_copy(update={"enforce": False})),
        ):
            httpx.put(
                f"{url}/_control/limits", json=limits.model_dump(mode="json")
            ).raise_for_status()
        # The tests read the books as another app, so that their reads do not count against
        # spendsync's per-app limits.
        httpx.post(
            f"{qbo}/_control/qbo/apps",
            json={"client_id": READER_APP, "client_secret": QBO_CLIENT_SECRET},
        ).raise_for_status()
        ports = [free_port(), free_port()]
        public = f"http://127.0.0.1:{ports[0]}"  # the load balancer's address, in effect
        for url, platform, (client_id, secret), callback in (
            (sandbox, "xero", (CLIENT_ID, CLIENT_SECRET), "xero"),
            (qbo, "qbo", (QBO_CLIENT_ID, QBO_CLIENT_SECRET), "quickbooksonline"),
        ):
            httpx.post(
                f"{url}/_control/{platform}/apps",
                json={
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uris": [f"{public}/link/callback/{callback}"],
                },
            ).raise_for_status()
        env = _env(settings, jobs_url, sandbox, qbo, public)
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
        workers = ChaosWorkers(
            {**os.environ, **env, "SPENDSYNC_DATABASE_URL": database_url},
            tmp_path / "workers.log",
            "--concurrency",
            "6",
        )
        stack.callback(workers.stop)
        for _ in range(WORKERS):
            workers.start()

        xero = Platform(
            "gbol",
            sandbox,
            lambda tenant: {"auto": True, "tenant_ids": [tenant]},
            "Travel - National",
            _xero_books,
        )
        quickbooks = Platform(
            "qhyg",
            qbo,
            lambda realm: {"auto": True, "realm_id": realm},
            "Travel",
            _qbo_books,
        )
        platforms = {p.key: p for p in (xero, quickbooks)}
        names = [f"Load Co {n}" for n in range(COMPANIES)]
        added = httpx.post(
            f"{sandbox}/_control/xero/organisations", json={"names": names[0::2]}
        ).json()
        added += [
            {"tenantId": c["realmId"], "name": c["name"]}
            for c in httpx.post(f"{qbo}/_control/qbo/companies", json={"names": names[1::2]}).json()
        ]
        tenants = {o["name"]: o["tenantId"] for o in added}
        companies = [
            (xero if n % 2 == 0 else quickbooks).link(apis[n % 2], name, tenants[name], key)
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
            found = {a["name"]: a["id"] for a in options["accounts"]}
            wanted = ("Company Card", platforms[company["platform"]].expense_account)
            return found if all(name in found for name in wanted) else None

        accounts = [_wait(lambda c=c: read(c), 120, "reference data") for c in companies]

        if chaos:
            stop = threading.Event()
            for url, method, path in (
                (sandbox, "PUT", "/api.xro/2.0/*"),
                (qbo, "POST", "/v3/company/*"),
            ):
                for rule in (
                    {"kind": "rate_limit", "retry_after_seconds": 0.5},
                    {"kind": "error", "status": 503},
                ):
                    httpx.post(
                        f"{url}/_control/faults",
                        json={
                            "method": method,
                            "path": path,
                            "faults": [rule],  # at once, whatever the size of the run
                            "fault": rule,
                            "probability": 0.1,
                        },
                    ).raise_for_status()

            def chaos_monkey() -> None:
                while not stop.wait(3.0):
                    workers.kill_one()

            def calm() -> None:
                stop.set()
                monkey.join(timeout=30)

            monkey = threading.Thread(target=chaos_monkey, daemon=True)
            monkey.start()
            stack.callback(calm)  # before the workers stop, also when the test fails

        def push(job: tuple[int, int]) -> str:
            index, half = job
            company = companies[index]
            api = apis[(index + half) % 2]  # both API processes take writes
            body = _payments(
                accounts[index], platforms[company["platform"]].expense_account, half * 50
            )
            # As a client should: a 503 (canBeRetried) is sent again under the same key.
            once = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            for attempt in range(10):
                response = httpx.post(
                    f"{api}/companies/{company['id']}/sync/expenses/expense-transactions",
                    json=body,
                    headers=once,
                    timeout=60,
                )
                if response.status_code != 503:
                    break
                time.sleep(0.5 * (attempt + 1))
            assert response.status_code == 200, response.text
            return str(response.json()["syncId"])

        jobs = [(i, h) for i in range(COMPANIES) for h in range(PER_COMPANY // 50)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            sync_ids = list(pool.map(push, jobs))

        def finished() -> bool:
            with engine.connect() as conn:
                open_syncs = conn.scalar(
                    select(Sync.id).where(Sync.id.in_(sync_ids), Sync.completed.is_(None)).limit(1)
                )
            return open_syncs is None

        _wait(finished, max(300, COMPANIES * 15), "every sync to finish")
        elapsed = time.monotonic() - started
        if chaos:
            calm()
            assert workers.killed >= 2

        with engine.connect() as conn:
            syncs = conn.execute(
                select(
                    Sync.company_id, Sync.runner_id, Sync.started, Sync.completed, Sync.status_code
                ).where(Sync.id.in_(sync_ids))
            ).all()
        assert {row.status_code for row in syncs} == {2000}
        # Never two writers of one company at once, across all workers: a company's syncs are
        # written by one workflow at a time (the syncs it wrote share its runner id), whose
        # rounds follow one another, so runners' spans (first start to last completion) never
        # overlap.
        runs: dict[str, dict[str, tuple[Any, Any]]] = {}
        for row in syncs:
            spans = runs.setdefault(row.company_id, {})
            start, end = spans.get(row.runner_id, (row.started, row.completed))
            spans[row.runner_id] = (min(start, row.started), max(end, row.completed))
        for spans in runs.values():
            ordered = sorted(spans.values())
            for (_, earlier_end), (later_start, _) in itertools.pairwise(ordered):
                assert later_start >= earlier_end
        # Every transaction exactly once in its own organisation's (or realm's) books.
        expected = sorted(Decimal(n) / 100 + 1 for n in range(PER_COMPANY))
        for company in companies:
            platform = platforms[company["platform"]]
            assert platform.books(platform.sandbox, company["tenant"]) == expected, company
        injected = 0
        for url in (sandbox, qbo):
            counters = httpx.get(f"{url}/_control/counters").json()
            assert counters["limitViolations"] == 0, (
                counters["limitViolationsByProblem"],
                counters,
            )
            injected += sum(counters["injectedFaults"].values())
        assert (injected > 0) == chaos
        print(  # the figures bench/ records for the full-size run (pytest -s)
            f"\nload: {COMPANIES} companies, {len(jobs) * 50} transactions in {elapsed:.0f} s "
            f"({len(jobs) * 50 / elapsed:.0f}/s), {workers.killed} worker kills, "
            f"{injected} injected faults, 0 limit violations"
        )
