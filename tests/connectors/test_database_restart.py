"""PostgreSQL restarted mid-run: while it is down the API answers 503 in Codat's envelope, and
every sync accepted before completes once it is back, each transaction written exactly once.

The test runs its own PostgreSQL server (initdb + pg_ctl on a free port, as the `postgres` user)
so that stopping it disturbs nothing else on the machine."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spendsync.config import Settings
from spendsync.db import migrate
from spendsync.jobs.engine import migrate_jobs_database
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.connector_scenarios import card_payment
from tests.connectors.processes import as_env
from tests.connectors.xero_support import XeroBooks, slow_bank_transaction_writes, xero_settings
from tests.live_server import free_port, running_server

pytestmark = pytest.mark.live

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


class PrivatePostgres:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        assert PG_BIN is not None
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.directory),
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        self._pg_ctl(
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres(request: pytest.FixtureRequest) -> Iterator[PrivatePostgres]:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("the restart test is about PostgreSQL (run with --db postgresql)")
    if PG_BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL's server binaries and root to run them as `postgres`")
    # Under /tmp itself: pytest's own directories are closed to other users.
    directory = Path(tempfile.mkdtemp(prefix="spendsync-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "initdb"),
            "-D",
            str(directory),
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PrivatePostgres(directory, free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_postgres_restart_mid_run(
    private_postgres: PrivatePostgres, settings: Settings, sandbox_url: str, tmp_path: Path
) -> None:
    url = private_postgres.url
    migrate.upgrade(url)
    migrate_jobs_database(
        settings.model_copy(update={"database_url": url, "jobs_database_url": url})
    )
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    httpx.post(
        f"{sandbox_url}/_control/xero/apps",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{public}/link/callback/xero"],
        },
    ).raise_for_status()
    env = as_env(
        {
            "jobs_database_url": url,
            "secret_key": settings.secret_key or "",
            **xero_settings(sandbox_url),
            "queue_polling_interval_seconds": 0.1,
        }
    )
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key_out = subprocess.run(
        [sys.executable, "-m", "spendsync", "apikey", "create", "--name", "restart"],
        env={**os.environ, "SPENDSYNC_DATABASE_URL": url, "SPENDSYNC_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key = next(word for word in key_out.split() if word.startswith("ssk_"))
    headers = {"Authorization": f"Basic {key}"}
    with (
        running_server(
            url, data_dir, jobs_database_url=url, port=port, extra_env=env, timeout=90
        ) as api,
        httpx.Client(base_url=api, headers=headers, timeout=30) as client,
    ):
        company = client.post("/companies", json={"name": "Restart Ltd"}).json()
        connection = client.post(
            f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}
        ).json()
        consent = httpx.get(connection["linkUrl"], follow_redirects=False)
        back = httpx.get(consent.headers["location"], follow_redirects=False)
        assert httpx.get(back.headers["location"]).status_code == 200
        deadline = time.monotonic() + 60
        while True:
            history = client.get(f"/companies/{company['id']}/data/history").json()["results"]
            if len([p for p in history if p["isCompleted"]]) >= 5:
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        accounts = {
            a["name"]: a["id"]
            for a in client.get(f"/companies/{company['id']}/sync/expenses/mappingOptions").json()[
                "accounts"
            ]
        }
        # Writes to Xero take a while, so syncs are still running when the database goes.
        slow_bank_transaction_writes(sandbox_url, 1.0)
        base = f"/companies/{company['id']}/sync/expenses"
        syncs, amounts = [], []
        for batch in range(4):
            items = []
            for n in range(10):
                amount = 1 + batch * 10 + n
                amounts.append(amount)
                travel = {"netAmount": amount, "accountRef": {"id": accounts["Travel - National"]}}
                items.append(card_payment(accounts["Company Card"], travel))
            response = client.post(f"{base}/expense-transactions", json=items)
            assert response.status_code == 200, response.text
            syncs.append(response.json()["syncId"])

        private_postgres.stop()
        down = client.get("/companies")
        assert down.status_code == 503
        body = down.json()
        assert body["statusCode"] == 503
        assert body["correlationId"]
        assert body["canBeRetried"] == "Yes" or body["canBeRetried"]
        refused = client.post(f"{base}/expense-transactions", json=[])
        assert refused.status_code in (400, 503)
        time.sleep(3)
        private_postgres.start()

        deadline = time.monotonic() + 240
        for sync_id in syncs:
            while True:
                status = client.get(f"{base}/syncs/{sync_id}/status")
                if status.status_code == 200 and status.json()["syncStatusCode"] not in (
                    1000,
                    1010,
                ):
                    break
                assert time.monotonic() < deadline, status.text
                time.sleep(0.5)
            assert status.json()["syncStatusCode"] == 2000, status.json()
        tenant = client.get(f"/companies/{company['id']}/data/info").json()["accountingPlatformRef"]
        books = XeroBooks(sandbox_url, tenant).get("BankTransactions")
        assert sorted(int(t["Total"]) for t in books) == sorted(amounts)  # each exactly once
