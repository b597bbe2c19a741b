"""Running the demo: a real `spendsync serve` (API and worker, embedded SQLite) in a data
directory, driven only through the Codat-compatible HTTP API, as a client would."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from spendsync.demo.month import DemoTransaction, Ids, demo_month, previous_month
from spendsync.demo.platforms import PLATFORMS, DemoTarget, free_port
from spendsync.demo.receipts import receipt_pdf

WAIT_SECONDS = 120


@dataclass
class DemoResult:
    company_id: str
    platform: str
    statuses: dict[str, str] = field(default_factory=dict)  # transaction id → status
    balances: list[tuple[str, str]] = field(default_factory=list)
    ledger: Path | None = None
    month: list[DemoTransaction] = field(default_factory=list)


class DemoFailed(RuntimeError):
    """The demo could not finish; the message says where."""


@contextmanager
def running_spendsync(data_dir: Path, port: int, env: dict[str, str]) -> Iterator[str]:
    """`spendsync serve` with its worker on the embedded default, in `data_dir`."""
    base_url = f"http://127.0.0.1:{port}"
    server_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPENDSYNC_")},
        "SPENDSYNC_DATA_DIR": str(data_dir),
        "SPENDSYNC_PUBLIC_URL": base_url,
        "SPENDSYNC_LOG_LEVEL": "WARNING",
        "SPENDSYNC_QUEUE_POLLING_INTERVAL_SECONDS": "0.1",
        **env,
    }
    log_path = data_dir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - this Python, our own module
            [
                sys.executable,
                "-m",
                "spendsync",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise DemoFailed(f"spendsync serve exited; see {log_path}")
            try:
                if httpx.get(f"{base_url}/openapi.json", timeout=5.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise DemoFailed(f"spendsync serve did not start; see {log_path}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _issue_key(data_dir: Path) -> str:
    """A client and its API key, straight in the (already migrated) embedded database."""
    from spendsync.clients.service import issue_key
    from spendsync.config import Settings
    from spendsync.db.engine import make_engine, make_session_factory

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.resolved_database_url())
    try:
        with make_session_factory(engine)() as session:
            issued = issue_key(session, name="demo")
            session.commit()
            return issued.key
    finally:
        engine.dispose()


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise DemoFailed(f"{response.request.method} {response.request.url.path}: {response.text}")
    return response.json()


def _wait(what: str, check: Any, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoFailed(f"Timed out waiting for {what}.")
        time.sleep(0.2)


def _ids(api: httpx.Client, company: str) -> Ids:
    options = _ok(api.get(f"/companies/{company}/sync/expenses/mappingOptions"))
    suppliers = _ok(api.get(f"/companies/{company}/data/suppliers", params={"pageSize": 5000}))
    return Ids(
        accounts={a["name"]: a["id"] for a in options["accounts"] or []},
        tax_rates={t["name"]: t["id"] for t in options["taxRates"] or []},
        tracking={
            t["name"]: t["id"]
            for t in options["trackingCategories"] or []
            if not t.get("hasChildren")
        },
        suppliers={s["supplierName"]: s["id"] for s in suppliers["results"]},
    )


def _push(api: httpx.Client, company: str, month: list[DemoTransaction]) -> dict[str, str]:
    """Sends the month the way a client would: card transactions in one batch, the claim,
    then the transfer. Returns transaction id → sync id."""
    base = f"/companies/{company}/sync/expenses"
    syncs: dict[str, str] = {}
    expenses = [t for t in month if t.endpoint == "expense-transactions"]
    sync_id = _ok(
        api.post(f"{base}/expense-transactions", json=[{"id": t.id, **t.body} for t in expenses])
    )["syncId"]
    syncs.update({t.id: sync_id for t in expenses})
    for t in month:
        if t.endpoint == "reimbursable-expense-transactions":
            response = api.post(f"{base}/{t.endpoint}", json=[{"id": t.id, **t.body}])
            syncs[t.id] = _ok(response)["syncId"]
        elif t.method == "PUT":
            syncs[t.id] = _ok(api.put(f"{base}/{t.endpoint}", json=t.body))["syncId"]
    return syncs


def run_demo(
    data_dir: Path,
    platform: str = "beancount",
    *,
    console: Console | None = None,
    port: int | None = None,
    today: dt.date | None = None,
) -> DemoResult:
    """The whole demo; prints as it goes and returns what it did (tests check the result)."""
    out = console or Console()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    public_url = f"http://127.0.0.1:{port}"
    if platform == "beancount":
        from spendsync.connectors.beancount.files import beancount_tool
        from spendsync.connectors.errors import NotSupported

        try:
            beancount_tool("bean-check")
        except NotSupported as exc:
            raise DemoFailed(f"{exc} (the demo's books are a Beancount ledger)") from exc
    with PLATFORMS[platform](data_dir, public_url) as target:
        out.print(f"[bold]spendsync demo[/bold] → {target.name}, data in {data_dir}")
        with running_spendsync(data_dir, port, target.env) as url:
            key = _issue_key(data_dir)
            out.print(f"API on {url} (worker in-process); client API key created.")
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Basic {key}"}, timeout=60
            ) as api:
                return _drive(api, out, target, today or dt.date.today())


def _drive(api: httpx.Client, out: Console, target: DemoTarget, today: dt.date) -> DemoResult:
    company = _ok(api.post("/companies", json={"name": "Brightwave Studio Ltd"}))["id"]
    connection = _ok(
        api.post(f"/companies/{company}/connections", json={"platformKey": target.platform_key})
    )
    linked = api.get(connection["linkUrl"], follow_redirects=True)
    if linked.status_code != 200:
        raise DemoFailed(f"Linking {target.name} failed: {linked.text[:500]}")
    out.print(f"Company {company} linked to {target.name}.")

    def pulls_done() -> bool:
        history = _ok(api.get(f"/companies/{company}/data/history"))["results"]
        return sum(1 for p in history if p["isCompleted"]) >= 5

    _wait("the first read of the books", pulls_done)
    ids = _ids(api, company)
    chart = target.chart
    _ok(
        api.post(
            f"/companies/{company}/sync/expenses/config",
            json={
                "bankAccount": {"id": ids.accounts[chart.card]},
                "supplier": {"id": next(iter(ids.suppliers.values()))},
                "customer": {"id": None},
            },
        )
    )
    month = demo_month(chart, ids, previous_month(today))
    out.print(f"Pushing {len(month)} transactions of {previous_month(today):%B %Y}…")
    syncs = _push(api, company, month)
    base = f"/companies/{company}/sync/expenses"

    def finished(sync_id: str) -> dict[str, Any] | None:
        status = _ok(api.get(f"{base}/syncs/{sync_id}/status"))
        return None if status["syncStatusCode"] in (1000, 1010) else status

    for sync_id in dict.fromkeys(syncs.values()):
        _wait(f"sync {sync_id}", lambda s=sync_id: finished(s))
    for t in month:
        if t.receipt is not None:
            upload = api.post(
                f"{base}/syncs/{syncs[t.id]}/transactions/{t.id}/attachments",
                files={
                    "file": (
                        t.receipt,
                        receipt_pdf(t.label, t.amount, t.currency),
                        "application/pdf",
                    )
                },
            )
            if upload.status_code != 200:
                out.print(f"[yellow]Receipt {t.receipt} not attached: {upload.text}[/yellow]")
    result = DemoResult(company_id=company, platform=target.platform_key, month=month)
    table = Table("date", "type", "what", "amount", "status", "receipt", title="Transactions")
    for sync_id in dict.fromkeys(syncs.values()):
        for row in _ok(api.get(f"{base}/syncs/{sync_id}/transactions"))["results"]:
            result.statuses[row["transactionId"]] = row["status"]
    for t in month:
        date = t.body.get("issueDate") or t.body.get("date") or ""
        status = result.statuses.get(t.id, "?")
        colour = "green" if status == "Completed" else "red"
        table.add_row(
            date,
            t.kind,
            t.label,
            f"{t.amount:,.2f} {t.currency}",
            f"[{colour}]{status}[/{colour}]",
            t.receipt or "",
        )
    out.print(table)
    if target.ledger is not None:
        result.ledger = target.ledger(company)
        result.balances = target.balances(company)
        balances = Table("account", "balance", title=f"Balances in {result.ledger.name}")
        for account, balance in result.balances:
            balances.add_row(Text(account), Text(balance or "0"))
        out.print(balances)
        out.print(
            f"Open the books in Fava: [bold]fava {result.ledger}[/bold] "
            "(then http://127.0.0.1:5000), or run the demo with --fava."
        )
    return result


def serve_fava(ledger: Path, console: Console, port: int | None = None) -> None:
    """Fava (MIT, a separate process) on a loopback port until Ctrl-C."""
    from spendsync.connectors.beancount.files import beancount_tool

    port = port or free_port()
    process = subprocess.Popen(  # noqa: S603 - Fava from this environment, our ledger path
        [beancount_tool("fava"), "--host", "127.0.0.1", "--port", str(port), str(ledger)]
    )
    console.print(
        f"Fava is showing the books at [bold]http://127.0.0.1:{port}[/bold]; Ctrl-C stops it."
    )
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
