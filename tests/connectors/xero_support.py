"""Running spendsync against the Xero sandbox: settings for the sandbox's app, and the real
OAuth redirect flow from a connection's linkUrl."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs import engine as jobs_engine
from spendsync.jobs.engine import JobQueue
from tests.conftest import PUBLIC_URL
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET


@contextmanager
def spendsync_on(
    settings: Settings, engine: Engine, worker: JobQueue, sandbox_url: str, **extra: Any
) -> Iterator[TestClient]:
    """spendsync's API (and this process's worker) configured for the sandbox's Xero app."""
    xero: dict[str, Any] = {
        "xero_client_id": CLIENT_ID,
        "xero_client_secret": SecretStr(CLIENT_SECRET),
        "xero_authorize_url": f"{sandbox_url}/identity/connect/authorize",
        "xero_token_url": f"{sandbox_url}/connect/token",
        "xero_connections_url": f"{sandbox_url}/connections",
        "xero_revocation_url": f"{sandbox_url}/connect/revocation",
        "xero_api_url": f"{sandbox_url}/api.xro/2.0",
        # Every sandbox seeds the same tenant ids, and this process's throttle counts calls
        # per tenant across tests; each test has a fresh sandbox, so only the tests about
        # limits keep Xero's.
        "xero_calls_per_minute": 100_000,
        "xero_calls_per_day": 1_000_000,
        **extra,
    }
    context = jobs_engine.worker_context()
    original = context.settings
    # The worker opens connectors with its own settings: give it the same Xero app.
    object.__setattr__(context, "settings", original.model_copy(update=xero))
    try:
        app = create_app(settings.model_copy(update=xero), engine, worker)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        object.__setattr__(context, "settings", original)


def link(api: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    company = api.post("/companies", json={"name": "Demo UK"}, headers=headers).json()
    conn = api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}, headers=headers
    ).json()
    start = urlparse(conn["linkUrl"])
    to_xero = api.get(f"{start.path}?{start.query}", follow_redirects=False)
    assert to_xero.status_code == 302
    consent = httpx.get(to_xero.headers["location"], follow_redirects=False)  # the real socket
    assert consent.status_code in (302, 303), consent.text
    back = urlparse(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{PUBLIC_URL}/link/callback/xero"
    assert "code" in parse_qs(back.query)
    done = api.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.text
    assert "connected" in done.text
    linked = api.get(f"/companies/{company['id']}/connections/{conn['id']}", headers=headers).json()
    assert linked["status"] == "Linked"
    return {"id": company["id"], "headers": headers, "connection": conn["id"]}
