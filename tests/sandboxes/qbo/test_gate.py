"""The request gate: throttles (per realm, per realm+app, concurrency), faults, counters."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.app import DEFAULT_APP
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, caller, fault_of, issue_token

PREFS = f"/v3/company/{US_REALM_ID}/preferences"


def _throttled(response: Any) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["Fault"]["type"] == "SERVICE"
    error = fault_of(response)
    assert error["code"] == "3001"
    assert "ThrottleExceeded" in error["Message"]
    assert int(response.headers["Retry-After"]) >= 1


def test_ten_requests_per_second_per_realm_and_app(
    client: TestClient, us: Qbo, sandbox: QboSandbox
) -> None:
    assert [us("GET", "/preferences").status_code for _ in range(10)] == [200] * 10
    limited = us("GET", "/preferences")
    _throttled(limited)
    counters = client.get("/_control/counters").json()
    assert counters["limitViolationsByProblem"] == {"second": 1}
    assert counters["limitViolationsByTenant"] == {US_REALM_ID: 1}
    assert counters["tooManyRequestsServed"] == 1
    other_realm = caller(client, UK_REALM_ID)
    assert other_realm("GET", "/preferences").status_code == 200
    sandbox.clock.advance(1)
    assert us("GET", "/preferences").status_code == 200


def test_500_requests_per_minute_per_realm(
    client: TestClient, us: Qbo, sandbox: QboSandbox
) -> None:
    for index in range(500):
        if index and index % 10 == 0:
            sandbox.clock.advance(1.01)  # stay under 10/s: only the minute quota is in play
        assert us("GET", "/preferences").status_code == 200, index
    sandbox.clock.advance(1)
    limited = us("GET", "/preferences")
    _throttled(limited)
    counters = client.get("/_control/counters").json()
    assert counters["limitViolationsByProblem"] == {"minute": 1}
    # the per-realm quota is shared by every app connected to the realm
    client.post("/_control/qbo/apps", json={"client_id": "app2", "client_secret": "s"})
    second_app = issue_token(client, client_id="app2")["access_token"]
    other = client.get(PREFS, headers={"Authorization": f"Bearer {second_app}"})
    assert other.status_code == 429
    sandbox.clock.advance(60)
    assert us("GET", "/preferences").status_code == 200


def test_ten_concurrent_requests_per_realm_and_app(app: FastAPI, client: TestClient) -> None:
    client.put("/_control/latency", json={"seconds": 0.3})
    limits = client.get("/_control/limits").json()
    client.put("/_control/limits", json={**limits, "per_second": None})
    client.post("/_control/qbo/apps", json={"client_id": "app2", "client_secret": "s"})
    first = issue_token(client)["access_token"]
    second = issue_token(client, client_id="app2")["access_token"]

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            calls = [
                http.get(PREFS, headers={"Authorization": f"Bearer {token}"})
                for token in [first] * 13 + [second] * 2
            ]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(burst())
    first_app = sorted(r.status_code for r in responses[:13])
    assert first_app == [200] * 10 + [429] * 3
    assert [r.status_code for r in responses[13:]] == [200, 200]  # its own 10 slots
    counters = client.get("/_control/counters").json()
    assert counters["limitViolationsByProblem"] == {"concurrent": 3}
    assert counters["maxConcurrencyByTenant"][US_REALM_ID] >= 10


def test_unenforced_limits_still_count_violations(client: TestClient, us: Qbo) -> None:
    limits = client.get("/_control/limits").json()
    client.put("/_control/limits", json={**limits, "enforce": False})
    assert {us("GET", "/preferences").status_code for _ in range(12)} == {200}
    counters = client.get("/_control/counters").json()
    assert counters["limitViolations"] == 2
    assert counters["tooManyRequestsServed"] == 0


def test_injected_5xx_are_system_faults(client: TestClient, us: Qbo) -> None:
    client.post(
        "/_control/faults",
        json={
            "method": "POST",
            "path": "/v3/company/*/purchase",
            "faults": [{"kind": "error", "status": 503}, {"kind": "error", "status": 500}],
        },
    )
    unavailable = us("POST", "/purchase", json={})
    assert unavailable.status_code == 503
    assert unavailable.json()["Fault"]["type"] == "SystemFault"
    assert us("POST", "/purchase", json={}).status_code == 500
    assert us("POST", "/purchase", json={}).status_code == 400  # the real validation again
    assert client.get("/_control/counters").json()["injectedFaults"] == {"error": 2}


def test_injected_429_expired_token_and_timeout(client: TestClient, us: Qbo) -> None:
    client.post(
        "/_control/faults",
        json={
            "path": "/v3/company/*/query",
            "faults": [
                {"kind": "rate_limit", "retry_after_seconds": 7},
                {"kind": "expired_token"},
                {"kind": "timeout", "delay_seconds": 0},
            ],
        },
    )
    query = {"query": "select * from Account"}
    limited = us("GET", "/query", params=query)
    _throttled(limited)
    assert limited.headers["Retry-After"] == "7"
    expired = us("GET", "/query", params=query)
    assert expired.status_code == 401
    assert expired.json()["Fault"]["type"] == "AuthenticationFault"
    assert us("GET", "/query", params=query).status_code == 504
    assert us("GET", "/query", params=query).status_code == 200


def test_faults_on_the_token_endpoint(client: TestClient) -> None:
    client.post(
        "/_control/faults",
        json={"path": "/oauth2/v1/tokens/bearer", "faults": [{"kind": "error", "status": 502}]},
    )
    basic = (DEFAULT_APP.client_id, DEFAULT_APP.client_secret or "")
    assert client.post("/oauth2/v1/tokens/bearer", data={}, auth=basic).status_code == 502
    assert client.post("/oauth2/v1/tokens/bearer", data={}, auth=basic).status_code == 400


def test_latency_and_slow_faults_use_the_scaled_clock(client: TestClient, us: Qbo) -> None:
    client.post("/_control/clock", json={"scale": 60})
    client.post(
        "/_control/faults",
        json={"path": PREFS, "faults": [{"kind": "slow", "delay_seconds": 30}]},
    )
    started = time.monotonic()
    assert us("GET", "/preferences").status_code == 200
    assert 0.4 <= time.monotonic() - started < 3


def test_every_api_response_has_an_intuit_tid(us: Qbo) -> None:
    assert us("GET", "/preferences").headers["intuit_tid"]
    assert us("GET", "/account/999999").headers["intuit_tid"]


def test_counters_count_requests_by_realm_app_and_method(client: TestClient, us: Qbo) -> None:
    us("GET", "/preferences")
    us("GET", "/account/999999")
    us(
        "POST",
        "/query",
        content="select * from Account",
        headers={"Content-Type": "application/text"},
    )
    counters = client.get("/_control/counters").json()
    assert counters["requestsByTenant"] == {US_REALM_ID: 3}
    assert counters["requestsByApp"] == {DEFAULT_APP.client_id: 3}
    assert counters["requestsByMethod"] == {"GET": 2, "POST": 1}
    assert counters["responsesByStatus"] == {"200": 2, "400": 1}
