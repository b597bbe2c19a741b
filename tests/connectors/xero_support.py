"""Running spendsync against the Xero sandbox: settings for the sandbox's app, the real OAuth
redirect flow from a connection's linkUrl, and the organisation's books read back through the
sandbox's own Xero API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue
from tests.conftest import PUBLIC_URL
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.platform_settings import spendsync_for_platform


def xero_settings(sandbox_url: str, client_id: str = CLIENT_ID) -> dict[str, Any]:
    """spendsync's settings (by field name) for the sandbox's Xero app `client_id`."""
    return {
        "xero_client_id": client_id,
        "xero_client_secret": SecretStr(CLIENT_SECRET),
        "xero_authorize_url": f"{sandbox_url}/identity/connect/authorize",
        "xero_token_url": f"{sandbox_url}/connect/token",
        "xero_connections_url": f"{sandbox_url}/connections",
        "xero_revocation_url": f"{sandbox_url}/connect/revocation",
        "xero_api_url": f"{sandbox_url}/api.xro/2.0",
    }


@contextmanager
def spendsync_on(
    settings: Settings, engine: Engine, worker: JobQueue, sandbox_url: str, **extra: Any
) -> Iterator[TestClient]:
    """spendsync's API (and this process's worker) configured for the sandbox's Xero app."""
    xero: dict[str, Any] = {
        **xero_settings(sandbox_url),
        # Every sandbox seeds the same tenant ids, and this process's throttle counts calls
        # per tenant across tests; each test has a fresh sandbox, so only the tests about
        # limits keep Xero's.
        "xero_calls_per_minute": 100_000,
        "xero_calls_per_day": 1_000_000,
        **extra,
    }
    with spendsync_for_platform(settings, engine, worker, xero) as client:
        yield client


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


def slow_bank_transaction_writes(sandbox_url: str, delay_seconds: float) -> None:
    """Every bank transaction written to the sandbox from now on takes `delay_seconds`."""
    httpx.post(
        f"{sandbox_url}/_control/faults",
        json={
            "method": "PUT",
            "path": "/api.xro/2.0/BankTransactions",
            "fault": {"kind": "slow", "delay_seconds": delay_seconds},
            "probability": 1.0,
        },
    ).raise_for_status()


class XeroBooks:
    """Reads the organisation's records through the sandbox's Xero API, as Xero would, with a
    token of the app `client_id`."""

    def __init__(self, sandbox_url: str, tenant_id: str, client_id: str = CLIENT_ID) -> None:
        token = httpx.post(
            f"{sandbox_url}/_control/xero/tokens", json={"client_id": client_id}
        ).json()["access_token"]
        self.url = f"{sandbox_url}/api.xro/2.0"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenant_id,
            "Accept": "application/json",
        }

    def read(self, path: str, **params: str) -> Any:
        """Xero's answer to a GET of `path` (below the API's root)."""
        response = httpx.get(f"{self.url}/{path}", params=params, headers=self.headers)
        response.raise_for_status()
        return response.json()

    def get(self, collection: str, where: str | None = None) -> list[dict[str, Any]]:
        params = {"where": where} if where else {}
        return list(self.read(collection, **params)[collection])

    def attachments(self, collection: str, record_id: str) -> list[str]:
        listed = self.read(f"{collection}/{record_id}/Attachments")["Attachments"]
        return [a["FileName"] for a in listed]
