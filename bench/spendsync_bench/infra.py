"""Starting everything a benchmark needs as real processes on loopback sockets: a platform
sandbox, `spendsync serve` (embedded SQLite with its worker, or API only on PostgreSQL),
`spendsync worker` processes; linking companies through the real OAuth redirect flow."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

BENCH_DIR = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
XERO_CLIENT = ("spendsync-bench", "bench-secret")
QBO_CLIENT = ("spendsync-bench-qbo", "bench-secret")
# A second app for the hand-written integration: QBO counts concurrency per app.
HAND_CLIENT = ("hand-written", "hand-secret")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while (result := check()) is None or result is False:
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)
    return result


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    def up() -> bool | None:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text()[-4000:]}")
        try:
            return httpx.get(url, timeout=1.0).status_code < 500 or None
        except httpx.TransportError:
            return None

    wait_for(up, timeout, url)


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        process = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class SandboxSpec:
    """A sandbox's clock and limits. Limits and latency are in sandbox seconds; the clock runs
    `scale` times faster than real time, so both shrink together."""

    platform: str  # "xero" | "qbo"
    scale: float
    latency: float
    jitter: float
    limits: dict[str, Any] = field(default_factory=dict)

    @property
    def minute_seconds(self) -> float:
        """A platform minute in real seconds."""
        return 60.0 / self.scale


@dataclass
class Sandbox:
    spec: SandboxSpec
    url: str
    process: subprocess.Popen[bytes]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/_control{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def register_app(self, client: tuple[str, str], redirect: str) -> None:
        prefix = "xero" if self.spec.platform == "xero" else "qbo"
        self.control(
            "POST",
            f"/{prefix}/apps",
            {"client_id": client[0], "client_secret": client[1], "redirect_uris": [redirect]},
        )

    def counters(self) -> dict[str, Any]:
        found: dict[str, Any] = self.control("GET", "/counters")
        return found


@contextmanager
def running_sandbox(spec: SandboxSpec, workdir: Path) -> Iterator[Sandbox]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "spendsync_bench.sandbox",
        spec.platform,
        "--port",
        str(port),
        "--scale",
        str(spec.scale),
        "--latency",
        str(spec.latency),
        "--jitter",
        str(spec.jitter),
        "--limits",
        json.dumps(spec.limits),
    ]
    env = {**os.environ, "PYTHONPATH": str(BENCH_DIR)}
    log = workdir / f"sandbox-{spec.platform}-{port}.log"
    with _process(args, env, log) as process:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/_control/counters", process, log, 30)
        yield Sandbox(spec, url, process)


def platform_env(sandbox: Sandbox) -> dict[str, str]:
    """spendsync's settings for a sandbox: its URLs, and the platform's limits on its clock."""
    url = sandbox.url
    minute = str(sandbox.spec.minute_seconds)
    if sandbox.spec.platform == "xero":
        return {
            "SPENDSYNC_XERO_CLIENT_ID": XERO_CLIENT[0],
            "SPENDSYNC_XERO_CLIENT_SECRET": XERO_CLIENT[1],
            "SPENDSYNC_XERO_AUTHORIZE_URL": f"{url}/identity/connect/authorize",
            "SPENDSYNC_XERO_TOKEN_URL": f"{url}/connect/token",
            "SPENDSYNC_XERO_CONNECTIONS_URL": f"{url}/connections",
            "SPENDSYNC_XERO_REVOCATION_URL": f"{url}/connect/revocation",
            "SPENDSYNC_XERO_API_URL": f"{url}/api.xro/2.0",
            "SPENDSYNC_XERO_CALLS_PER_MINUTE": "60",
            "SPENDSYNC_XERO_MAX_CONCURRENT_CALLS": "5",
            "SPENDSYNC_XERO_MINUTE_SECONDS": minute,
            # The sandboxes run without Xero's daily cap (see README): so does spendsync.
            "SPENDSYNC_XERO_CALLS_PER_DAY": "100000000",
        }
    return {
        "SPENDSYNC_QBO_CLIENT_ID": QBO_CLIENT[0],
        "SPENDSYNC_QBO_CLIENT_SECRET": QBO_CLIENT[1],
        "SPENDSYNC_QBO_AUTHORIZE_URL": f"{url}/connect/oauth2",
        "SPENDSYNC_QBO_TOKEN_URL": f"{url}/oauth2/v1/tokens/bearer",
        "SPENDSYNC_QBO_REVOCATION_URL": f"{url}/v2/oauth2/tokens/revoke",
        "SPENDSYNC_QBO_API_URL": f"{url}/v3",
        "SPENDSYNC_QBO_CALLS_PER_MINUTE": "500",
        "SPENDSYNC_QBO_CALLS_PER_SECOND": "10",
        "SPENDSYNC_QBO_MAX_CONCURRENT_CALLS": "10",
        "SPENDSYNC_QBO_MINUTE_SECONDS": minute,
    }


@contextmanager
def postgres_database(prefix: str = "bench") -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server (dropped afterwards)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Spendsync:
    """A running deployment: API URLs, a client's API key, the database, the processes."""

    apis: list[str]
    key: str
    database_url: str
    env: dict[str, str]
    workdir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _engine: Engine | None = None

    @property
    def api(self) -> str:
        return self.apis[0]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Basic {self.key}"}

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.database_url.replace("sqlite:///", "sqlite:///"))
        return self._engine

    def client(self, api: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=api or self.api, headers=self.headers, timeout=120)


def _spendsync_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "spendsync", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"spendsync {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def running_spendsync(
    workdir: Path,
    extra_env: dict[str, str],
    *,
    database_url: str | None = None,
    apis: int = 1,
    workers: int = 0,
    worker_concurrency: int = 8,
    embedded_worker: bool = True,
    key: str | None = None,
) -> Iterator[Spendsync]:
    """Embedded default (`database_url` None: SQLite, one `serve` with its worker), or on
    PostgreSQL `apis` API-only processes and `workers` worker processes."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in range(apis)]
    public = f"http://127.0.0.1:{ports[0]}"
    url = database_url or f"sqlite:///{(workdir / 'spendsync.db').resolve()}"
    env = {
        **os.environ,
        "SPENDSYNC_DATA_DIR": str(workdir),
        "SPENDSYNC_DATABASE_URL": url,
        "SPENDSYNC_PUBLIC_URL": public,
        "SPENDSYNC_SECRET_KEY": extra_env.get("SPENDSYNC_SECRET_KEY") or _fernet_key(),
        "SPENDSYNC_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "SPENDSYNC_WORKER_CONCURRENCY": str(worker_concurrency),
        "SPENDSYNC_DB_POOL_SIZE": str(worker_concurrency + 4),
        **extra_env,
    }
    if database_url:
        _spendsync_cli(["db", "upgrade"], env)
    if key is None:
        out = _spendsync_cli(["apikey", "create", "--name", "bench"], env)
        match = re.search(r"(ssk_\S+)", out)
        if match is None:
            raise RuntimeError(f"no key in: {out}")
        key = match.group(1)
    deployment = Spendsync(apis=[], key=key, database_url=url, env=env, workdir=workdir)
    embedded = database_url is None and embedded_worker
    try:
        from contextlib import ExitStack

        with ExitStack() as stack:
            for n, port in enumerate(ports):
                log = workdir / f"api{n}.log"
                args = [sys.executable, "-m", "spendsync", "serve", "--host", "127.0.0.1"]
                args += ["--port", str(port), "--worker" if embedded else "--no-worker"]
                process = stack.enter_context(_process(args, env, log))
                _wait_http(f"http://127.0.0.1:{port}/healthz", process, log, 90)
                deployment.apis.append(f"http://127.0.0.1:{port}")
                deployment.processes[f"api{n}"] = process
            for n in range(workers):
                log = workdir / f"worker{n}.log"
                args = [sys.executable, "-m", "spendsync", "worker"]
                args += ["--concurrency", str(worker_concurrency)]
                deployment.processes[f"worker{n}"] = stack.enter_context(_process(args, env, log))
            if database_url is None:
                wait_for(
                    lambda: httpx.get(f"{deployment.api}/readyz").status_code == 200 or None,
                    60,
                    "readyz",
                )
            yield deployment
    finally:
        if deployment._engine is not None:
            deployment._engine.dispose()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class Company:
    id: str
    api: str
    tenant: str
    accounts: dict[str, str]


def link_company(
    deployment: Spendsync,
    sandbox: Sandbox,
    name: str,
    tenant: str,
    api: str | None = None,
    *,
    wait: bool = True,
) -> Company:
    """Create a company and link it through the platform's real OAuth redirect flow; with
    `wait`, wait for its reference data and return its accounts' ids by name."""
    api = api or deployment.api
    platform = sandbox.spec.platform
    with deployment.client(api) as client:
        company = client.post("/companies", json={"name": name}).json()
        key = "gbol" if platform == "xero" else "qhyg"
        connection = client.post(
            f"/companies/{company['id']}/connections", json={"platformKey": key}
        ).json()
        if platform == "xero":
            sandbox.control("PUT", "/xero/consent", {"auto": True, "tenant_ids": [tenant]})
        else:
            sandbox.control("PUT", "/qbo/consent", {"auto": True, "realm_id": tenant})
        to_platform = httpx.get(connection["linkUrl"], follow_redirects=False)
        back = httpx.get(to_platform.headers["location"], follow_redirects=False)
        done = httpx.get(back.headers["location"], timeout=60)
        if done.status_code != 200:
            raise RuntimeError(f"linking failed: {done.status_code} {done.text[:500]}")

    found = Company(company["id"], api, tenant, {})
    return with_accounts(deployment, found) if wait else found


def with_accounts(deployment: Spendsync, company: Company, timeout: float = 900) -> Company:
    """Wait for a linked company's reference data; the company with its accounts by name."""
    with deployment.client(company.api) as client:

        def read() -> dict[str, str] | None:
            history = client.get(f"/companies/{company.id}/data/history").json()["results"]
            if len([p for p in history if p["isCompleted"]]) < 5:
                return None
            options = client.get(f"/companies/{company.id}/sync/expenses/mappingOptions")
            return {a["name"]: a["id"] for a in options.json()["accounts"]}

        accounts = wait_for(read, timeout, f"reference data of {company.id}", every=0.25)
    return Company(company.id, company.api, company.tenant, accounts)


def payments(company: Company, platform: str, count: int, first: int = 0) -> list[dict[str, Any]]:
    """`count` card payments, each with one expense line."""
    currency, expense = ("GBP", "Travel - National") if platform == "xero" else ("USD", "Travel")
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "Payment",
            "issueDate": "2026-11-05",
            "currency": currency,
            "merchantName": "Pret A Manger",
            "bankAccountRef": {"id": company.accounts["Company Card"]},
            "lines": [
                {
                    "netAmount": str(Decimal(first + n) / 100 + 1),
                    "accountRef": {"id": company.accounts[expense]},
                }
            ],
        }
        for n in range(count)
    ]


@dataclass(frozen=True)
class SyncTimes:
    sync_id: str
    created: datetime
    started: datetime | None
    completed: datetime | None
    status_code: int
    runner_id: str | None = None  # the sync whose workflow wrote this one (rounds share it)


def sync_times(deployment: Spendsync, sync_ids: list[str]) -> list[SyncTimes]:
    found: list[SyncTimes] = []
    with deployment.engine().connect() as conn:
        for start in range(0, len(sync_ids), 500):
            chunk = sync_ids[start : start + 500]
            rows = conn.execute(
                text(
                    "SELECT id, created, started, completed, status_code, runner_id FROM syncs "
                    "WHERE id IN :ids"
                ).bindparams(_expanding("ids")),
                {"ids": chunk},
            ).all()
            found += [
                SyncTimes(r[0], _dt(r[1]), _dt(r[2]), _dt(r[3]), int(r[4]), r[5]) for r in rows
            ]
    return found


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _dt(value: Any) -> Any:
    """Timestamps as aware UTC datetimes (SQLite keeps them without a zone)."""
    if value is None:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def open_syncs(deployment: Spendsync, sync_ids: list[str]) -> int:
    return sum(1 for t in sync_times(deployment, sync_ids) if t.completed is None)


def wait_syncs(deployment: Spendsync, sync_ids: list[str], timeout: float) -> list[SyncTimes]:
    def done() -> list[SyncTimes] | None:
        times = sync_times(deployment, sync_ids)
        if len(times) == len(sync_ids) and all(t.completed is not None for t in times):
            return times
        return None

    return wait_for(done, timeout, f"{len(sync_ids)} syncs", every=0.05)
