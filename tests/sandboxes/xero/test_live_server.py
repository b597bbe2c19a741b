"""End to end over a real loopback socket, the way the Xero connector will talk to it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from spendsync.sandboxes.control import RateLimits
from spendsync.sandboxes.xero import create_app
from spendsync.sandboxes.xero.app import DEFAULT_APP, XeroSandboxConfig
from spendsync.sandboxes.xero.seed import UK_TENANT_ID
from tests.live_server import serving_in_thread
from tests.sandboxes.xero.conftest import spend


@pytest.fixture
def base_url() -> Iterator[str]:
    config = XeroSandboxConfig(
        auto_consent=True,
        clock_scale=60,  # a sandbox minute lasts one real second
        rate_limits=RateLimits(per_minute=3),
    )
    with serving_in_thread(create_app(config)) as url:
        yield url


def test_connector_style_session_over_loopback(base_url: str) -> None:
    redirect = DEFAULT_APP.redirect_uris[0]
    with httpx.Client(base_url=base_url, timeout=5) as http:
        authorize = http.get(
            "/identity/connect/authorize",
            params={
                "response_type": "code",
                "client_id": DEFAULT_APP.client_id,
                "redirect_uri": redirect,
                "scope": "offline_access accounting.transactions accounting.settings "
                "accounting.attachments accounting.contacts",
                "state": "s",
            },
        )
        assert authorize.status_code == 302
        code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
        tokens = http.post(
            "/connect/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
            auth=(DEFAULT_APP.client_id, DEFAULT_APP.client_secret or ""),
        ).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        [connection] = http.get("/connections", headers=bearer).json()
        assert connection["tenantId"] == UK_TENANT_ID
        api = {**bearer, "xero-tenant-id": connection["tenantId"], "Accept": "application/json"}

        created = http.put(
            "/api.xro/2.0/BankTransactions",
            json={"BankTransactions": [spend()]},
            headers={**api, "Idempotency-Key": "live-1"},
        )
        assert created.status_code == 200, created.text
        identifier = created.json()["BankTransactions"][0]["BankTransactionID"]
        receipt = http.put(
            f"/api.xro/2.0/BankTransactions/{identifier}/Attachments/receipt.pdf",
            content=b"%PDF-1.4 receipt",
            headers={**api, "Content-Type": "application/pdf"},
        )
        assert receipt.status_code == 200

        # The third call of the (scaled) minute was the attachment; the next one is throttled
        # and Retry-After is given in real seconds, so honouring it is enough to get through.
        http.get("/api.xro/2.0/Organisation", headers=api)
        limited = http.get("/api.xro/2.0/Organisation", headers=api)
        assert limited.status_code == 429
        assert limited.headers["X-Rate-Limit-Problem"] == "minute"
        time.sleep(int(limited.headers["Retry-After"]))
        assert http.get("/api.xro/2.0/Organisation", headers=api).status_code == 200

        # A hung upstream: the client's own timeout fires first.
        http.post(
            "/_control/faults",
            json={
                "path": "/api.xro/2.0/Contacts",
                "faults": [{"kind": "timeout", "delay_seconds": 600}],
            },
        )
        http.put("/_control/limits", json={"per_minute": 100})
        with pytest.raises(httpx.ReadTimeout):
            http.get("/api.xro/2.0/Contacts", headers=api, timeout=0.5)
        counters = http.get("/_control/counters").json()
        assert counters["injectedFaults"] == {"timeout": 1}
        assert counters["tooManyRequestsServed"] == 1
