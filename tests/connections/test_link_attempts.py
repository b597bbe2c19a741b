"""A link attempt (the `state` sent to the platform) is good once, for half an hour: a replayed
or stale callback fails with a page that says so and leaves the connection as it was."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from spendsync.db.base import utcnow
from spendsync.link.models import AuthorizationRequest
from tests.conftest import auth
from tests.connectors.contract.beancount import require_beancount

EXPIRED = "This authorization link has expired or was already used; start again."


def _callback(api: TestClient, headers: dict[str, str]) -> tuple[str, str, str]:
    """A new Beancount connection's link started: (company id, connection id, callback URL)."""
    require_beancount()
    company = api.post("/companies", json={"name": "Link Ltd"}, headers=headers).json()
    connection = api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "bean"}, headers=headers
    ).json()
    start = urlparse(connection["linkUrl"])
    redirected = api.get(f"{start.path}?{start.query}", follow_redirects=False)
    assert redirected.status_code == 302, redirected.text
    back = urlparse(redirected.headers["location"])
    return company["id"], connection["id"], f"{back.path}?{back.query}"


def _status(api: TestClient, headers: dict[str, str], company: str, connection: str) -> str:
    found = api.get(f"/companies/{company}/connections/{connection}", headers=headers)
    return str(found.json()["status"])


def test_a_callback_replayed_is_refused(api: TestClient, new_key) -> None:
    headers = auth(new_key().key)
    company, connection, callback = _callback(api, headers)
    assert api.get(callback).status_code == 200
    assert _status(api, headers, company, connection) == "Linked"
    replayed = api.get(callback)
    assert replayed.status_code == 400
    assert EXPIRED in replayed.text


def test_a_callback_after_half_an_hour_is_refused(api: TestClient, engine: Engine, new_key) -> None:
    headers = auth(new_key().key)
    company, connection, callback = _callback(api, headers)
    state = parse_qs(urlparse(callback).query)["state"][0]
    with engine.begin() as conn:
        conn.execute(
            update(AuthorizationRequest)
            .where(AuthorizationRequest.state == state)
            .values(created=utcnow() - timedelta(minutes=31))
        )
    late = api.get(callback)
    assert late.status_code == 400
    assert EXPIRED in late.text
    assert _status(api, headers, company, connection) == "PendingAuth"
