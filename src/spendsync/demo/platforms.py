"""Where the demo month goes: each platform is one small function that prepares it (a sandbox
to start, settings for the server) and names the demo's accounts in its books. Adding a
platform is adding one such function to PLATFORMS."""

from __future__ import annotations

import csv
import io
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spendsync.demo.month import DemoChart

if TYPE_CHECKING:
    from spendsync.sandboxes.oauth import AppRegistration


@dataclass
class DemoTarget:
    """A platform ready for the demo: its key, the names in its books, the server's settings
    for it, and (for a local ledger) how to read the balances back."""

    platform_key: str
    name: str
    chart: DemoChart
    env: dict[str, str] = field(default_factory=dict)
    ledger: Callable[[str], Path] | None = None  # company id → ledger file

    def balances(self, company_id: str) -> list[tuple[str, str]]:
        if self.ledger is None:
            return []
        from spendsync.connectors.beancount.files import beancount_tool

        done = subprocess.run(  # noqa: S603 - our tool, our query, no shell
            [
                beancount_tool("bean-query"),
                "-f",
                "csv",
                str(self.ledger(company_id)),
                "SELECT account, sum(position) AS balance GROUP BY account ORDER BY account",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return [
            (row["account"].strip(), " ".join(row["balance"].replace(",", " ").split()))
            for row in csv.DictReader(io.StringIO(done.stdout))
        ]


BEANCOUNT_CHART = DemoChart(
    card="Company Card",
    usd_card="USD Card",
    bank="Business Bank Account",
    meals="Meals and Entertainment",
    travel="Travel - National",
    office="Office Expenses",
    software="Software and Subscriptions",
    advertising="Advertising",
    cashback="Card Cashback Rewards",
    vat="20% (VAT on Expenses)",
    zero_rated="Zero Rated Expenses",
    sales="Sales",
    engineering="Engineering",
    employee="Jane Cooper",
)

XERO_CHART = DemoChart(
    card="Company Card",
    usd_card="USD Card",
    bank="Business Bank Account",
    meals="Entertainment",
    travel="Travel - National",
    office="Printing & Stationery",
    software="IT Software and Consumables",
    advertising="Advertising & Marketing",
    cashback="Card Cashback Rewards",
    vat="20% (VAT on Expenses)",
    zero_rated="Zero Rated Expenses",
    sales="Sales",
    engineering="Engineering",
    employee="Jane Cooper",
)


@contextmanager
def beancount(data_dir: Path, public_url: str) -> Iterator[DemoTarget]:
    ledgers = data_dir / "ledgers"
    yield DemoTarget(
        platform_key="bean",
        name="Beancount",
        chart=BEANCOUNT_CHART,
        env={"SPENDSYNC_BEANCOUNT_LEDGERS_DIR": str(ledgers)},
        ledger=lambda company_id: ledgers / company_id / "main.beancount",
    )


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """An ASGI app (a platform sandbox) on a free loopback port, in a thread of this process."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("The platform sandbox did not start.")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


DEMO_APP = ("spendsync-demo", "spendsync-demo-secret")


def demo_app(public_url: str, callback_name: str) -> tuple[AppRegistration, dict[str, str]]:
    """The demo's app for a sandbox to register, and the client settings that name it (under
    the platform's prefix, e.g. ``SPENDSYNC_XERO_``: add it to the keys)."""
    from spendsync.sandboxes.oauth import AppRegistration

    client_id, secret = DEMO_APP
    app = AppRegistration(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=[f"{public_url}/link/callback/{callback_name}"],
        name="spendsync demo",
    )
    return app, {"CLIENT_ID": client_id, "CLIENT_SECRET": secret}


def _prefixed(prefix: str, env: dict[str, str]) -> dict[str, str]:
    return {f"SPENDSYNC_{prefix}_{name}": value for name, value in env.items()}


@contextmanager
def xero(data_dir: Path, public_url: str) -> Iterator[DemoTarget]:
    """The Xero sandbox, with the demo's app registered and consent given at once."""
    from spendsync.sandboxes.xero.app import XeroSandboxConfig, create_app

    app, client = demo_app(public_url, "xero")
    with serving(create_app(XeroSandboxConfig(apps=[app], auto_consent=True))) as url:
        endpoints = {
            "AUTHORIZE_URL": f"{url}/identity/connect/authorize",
            "TOKEN_URL": f"{url}/connect/token",
            "CONNECTIONS_URL": f"{url}/connections",
            "REVOCATION_URL": f"{url}/connect/revocation",
            "API_URL": f"{url}/api.xro/2.0",
        }
        yield DemoTarget(
            platform_key="gbol",
            name="Xero (sandbox)",
            chart=XERO_CHART,
            env=_prefixed("XERO", {**client, **endpoints}),
        )


QBO_CHART = DemoChart(
    card="Company Card",
    usd_card="USD Card",
    bank="Current Account",
    meals="Meals",
    travel="Travel",
    office="Office Expenses",
    software="Software",
    advertising="Advertising",
    cashback="Card Cashback Rewards",
    vat="20.0% S",
    zero_rated="0.0% Z",
    sales="Sales",
    engineering="Engineering",
    employee="Jane Cooper",
    usd_supplier="GitHub Inc",
)

# What the demo month needs beyond the QBO sandbox's UK company, added through its control plane.
QBO_DEMO_RECORDS: dict[str, list[dict[str, Any]]] = {
    "Account": [
        {"Name": "Advertising", "AccountType": "Expense"},
        {"Name": "Card Cashback Rewards", "AccountType": "Other Income"},
    ],
    "Class": [{"Name": "Sales"}, {"Name": "Engineering"}],
    "Vendor": [{"DisplayName": "GitHub Inc", "CurrencyRef": {"value": "USD"}}],
    "Employee": [{"GivenName": "Jane", "FamilyName": "Cooper", "DisplayName": "Jane Cooper"}],
}


@contextmanager
def quickbooksonline(data_dir: Path, public_url: str) -> Iterator[DemoTarget]:
    """The QuickBooks Online sandbox's UK company (VAT, multicurrency), with the demo's app
    registered, consent given at once, and the demo's accounts, classes and people added."""
    import httpx

    from spendsync.sandboxes.qbo import QboSandboxConfig, create_app
    from spendsync.sandboxes.qbo.seed import UK_REALM_ID

    app, client = demo_app(public_url, "quickbooksonline")
    config = QboSandboxConfig(apps=[app], auto_consent=True, auto_consent_realm_id=UK_REALM_ID)
    with serving(create_app(config)) as url:
        seeded = httpx.post(
            f"{url}/_control/seed",
            json={"realmId": UK_REALM_ID, "entities": QBO_DEMO_RECORDS},
            timeout=30,
        )
        seeded.raise_for_status()
        endpoints = {
            "AUTHORIZE_URL": f"{url}/connect/oauth2",
            "TOKEN_URL": f"{url}/oauth2/v1/tokens/bearer",
            "REVOCATION_URL": f"{url}/v2/oauth2/tokens/revoke",
            "API_URL": f"{url}/v3",
        }
        yield DemoTarget(
            platform_key="qhyg",
            name="QuickBooks Online (sandbox)",
            chart=QBO_CHART,
            env=_prefixed("QBO", {**client, **endpoints}),
        )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PlatformSetup = Callable[[Path, str], AbstractContextManager[DemoTarget]]
PLATFORMS: dict[str, PlatformSetup] = {
    "beancount": beancount,
    "xero": xero,
    "quickbooksonline": quickbooksonline,
}
