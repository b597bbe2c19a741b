"""Running spendsync against the QuickBooks Online sandbox over a real loopback socket: the
sandbox in a uvicorn thread, settings for its app, and the real OAuth redirect flow from a
connection's linkUrl (with the `realmId` Intuit adds to the callback)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.demo.platforms import serving
from spendsync.jobs.engine import JobQueue
from spendsync.sandboxes.oauth import AppRegistration
from spendsync.sandboxes.qbo import QboSandboxConfig
from spendsync.sandboxes.qbo import create_app as create_sandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.conftest import PUBLIC_URL
from tests.connectors.platform_settings import spendsync_for_platform

QBO_CLIENT_ID = "spendsync-qbo-test-app"
QBO_CLIENT_SECRET = "qbo-test-secret"
CALLBACK = f"{PUBLIC_URL}/link/callback/quickbooksonline"
READER_APP = "qbo-test-reader"

__all__ = ["UK_REALM_ID", "US_REALM_ID", "link_qbo", "running_qbo_sandbox", "spendsync_on_qbo"]


@contextmanager
def running_qbo_sandbox(realm_id: str = UK_REALM_ID, **overrides: Any) -> Iterator[str]:
    """A QBO sandbox on a free loopback port with the test app registered; consent is given
    at once to `realm_id`'s company."""
    config = QboSandboxConfig(
        apps=[
            AppRegistration(
                client_id=QBO_CLIENT_ID,
                client_secret=QBO_CLIENT_SECRET,
                redirect_uris=[CALLBACK],
                name="spendsync tests",
            ),
            # The tests read the books as another app, so that their reads do not count
            # against spendsync's per-app limits (10/s, 10 in flight).
            AppRegistration(
                client_id=READER_APP,
                client_secret=QBO_CLIENT_SECRET,
                redirect_uris=[CALLBACK],
                name="test reader",
            ),
        ],
        auto_consent=True,
        auto_consent_realm_id=realm_id,
        **overrides,
    )
    with serving(create_sandbox(config)) as url:
        yield url


def qbo_settings(sandbox_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "qbo_client_id": QBO_CLIENT_ID,
        "qbo_client_secret": SecretStr(QBO_CLIENT_SECRET),
        "qbo_authorize_url": f"{sandbox_url}/connect/oauth2",
        "qbo_token_url": f"{sandbox_url}/oauth2/v1/tokens/bearer",
        "qbo_revocation_url": f"{sandbox_url}/v2/oauth2/tokens/revoke",
        "qbo_api_url": f"{sandbox_url}/v3",
        # Every sandbox seeds the same realm ids and this process's throttle counts calls per
        # realm across tests: the per-minute budget is the tests' (QBO's 10/s is kept).
        "qbo_calls_per_minute": 100_000,
        **extra,
    }


@contextmanager
def spendsync_on_qbo(
    settings: Settings, engine: Engine, worker: JobQueue, sandbox_url: str, **extra: Any
) -> Iterator[TestClient]:
    """spendsync's API (and this process's worker) configured for the sandbox's QBO app."""
    with spendsync_for_platform(
        settings, engine, worker, qbo_settings(sandbox_url, **extra)
    ) as client:
        yield client


def link_qbo(api: TestClient, headers: dict[str, str], name: str = "Demo") -> dict[str, Any]:
    """Create a company and a QBO connection and link it through Intuit's redirect flow."""
    company = api.post("/companies", json={"name": name}, headers=headers).json()
    conn = api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "qhyg"}, headers=headers
    ).json()
    start = urlparse(conn["linkUrl"])
    to_intuit = api.get(f"{start.path}?{start.query}", follow_redirects=False)
    assert to_intuit.status_code == 302, to_intuit.text
    consent = httpx.get(to_intuit.headers["location"], follow_redirects=False)  # real socket
    assert consent.status_code in (302, 303), consent.text
    back = urlparse(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    query = parse_qs(back.query)
    assert "code" in query
    assert "realmId" in query
    done = api.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.text
    linked = api.get(f"/companies/{company['id']}/connections/{conn['id']}", headers=headers).json()
    assert linked["status"] == "Linked", linked
    return {
        "id": company["id"],
        "headers": headers,
        "connection": conn["id"],
        "realm": query["realmId"][0],
    }


class QboBooks:
    """The sandbox's own QBO API, read with a token of the test app (not spendsync's)."""

    def __init__(self, sandbox_url: str, realm_id: str) -> None:
        self.url = sandbox_url
        self.realm_id = realm_id

    def token(self) -> str:
        answer = httpx.post(
            f"{self.url}/_control/qbo/tokens",
            json={"client_id": READER_APP, "realm_id": self.realm_id},
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def request(self, method: str, path: str, *, json: Any = None, **params: str) -> httpx.Response:
        """One call as the reader app (an edit made "in QuickBooks" by someone else, too),
        sent again while QBO's 10 a second, which applies to this reader as well, refuses it."""
        for _ in range(50):
            response = httpx.request(
                method,
                f"{self.url}/v3/company/{self.realm_id}/{path}",
                params={**params, "minorversion": "75"},
                json=json,
                headers={"Authorization": f"Bearer {self.token()}", "Accept": "application/json"},
            )
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("Retry-After") or 1) / 10)
        return response

    def get(self, path: str, **params: str) -> Any:
        response = self.request("GET", path, **params)
        response.raise_for_status()
        return response.json()

    def query(self, text: str) -> list[dict[str, Any]]:
        answer = self.get("query", query=text)["QueryResponse"]
        entity = text.split(" from ", 1)[1].split()[0]
        found: list[dict[str, Any]] = answer.get(entity) or []
        return found

    def find(self, entity: str, name: str) -> dict[str, Any]:
        for record in self.query(f"select * from {entity} where Active IN (true, false)"):
            if name in (
                record.get("FullyQualifiedName"),
                record.get("DisplayName"),
                record.get("Name"),
            ):
                return record
        raise KeyError(f"{entity} {name!r}")

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_control/seed", json={"realmId": self.realm_id, **payload})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result
