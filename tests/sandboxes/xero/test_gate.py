"""The request gate: auth, tenant header, rate limits, injected faults, latency, counters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spendsync.sandboxes.xero import XeroSandbox
from spendsync.sandboxes.xero.seed import UK_TENANT_ID, US_TENANT_ID
from tests.sandboxes.xero.conftest import API, issue_token

Xero = Callable[..., Any]


def test_missing_or_bad_token_is_401(client: TestClient) -> None:
    response = client.get(f"{API}/Organisation", headers={"xero-tenant-id": UK_TENANT_ID})
    assert response.status_code == 401
    body = response.json()
    assert (body["Title"], body["Status"], body["Detail"]) == (
        "Unauthorized",
        401,
        "AuthenticationUnsuccessful",
    )
    bad = client.get(
        f"{API}/Organisation",
        headers={"Authorization": "Bearer nope", "xero-tenant-id": UK_TENANT_ID},
    )
    assert bad.status_code == 401


def test_tenant_header_is_required_and_must_be_connected(client: TestClient) -> None:
    only_uk = issue_token(client, (UK_TENANT_ID,))
    bearer = {"Authorization": f"Bearer {only_uk['access_token']}"}
    missing = client.get(f"{API}/Organisation", headers=bearer)
    assert missing.status_code == 403
    assert missing.json()["Title"] == "Forbidden"
    other = client.get(f"{API}/Organisation", headers={**bearer, "xero-tenant-id": US_TENANT_ID})
    assert other.status_code == 403
    unknown = client.get(
        f"{API}/Organisation",
        headers={**bearer, "xero-tenant-id": "00000000-0000-0000-0000-000000000000"},
    )
    assert unknown.status_code == 403
    upper = client.get(
        f"{API}/Organisation", headers={**bearer, "xero-tenant-id": UK_TENANT_ID.upper()}
    )
    assert upper.status_code == 200


def test_rate_limit_headers_on_every_response(xero: Xero) -> None:
    first = xero("GET", "/Organisation")
    second = xero("GET", "/Accounts")
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert second.headers["X-MinLimit-Remaining"] == "58"
    assert second.headers["X-DayLimit-Remaining"] == "4998"
    assert second.headers["X-AppMinLimit-Remaining"] == "9998"
    error = xero("PUT", "/BankTransactions", json={"BankTransactions": [{}]})
    assert error.status_code == 400
    assert error.headers["X-MinLimit-Remaining"] == "57"


def test_minute_limit_429_retry_after_and_counters(
    client: TestClient, xero: Xero, sandbox: XeroSandbox
) -> None:
    client.put("/_control/limits", json={"per_minute": 3})
    statuses = [xero("GET", "/Organisation").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = xero("GET", "/Organisation")
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-MinLimit-Remaining"] == "0"
    counters = client.get("/_control/counters").json()
    assert counters["tooManyRequestsServed"] == 1
    assert counters["limitViolations"] == 1
    assert counters["limitViolationsByTenant"] == {UK_TENANT_ID: 1}
    assert counters["requestsByTenant"][UK_TENANT_ID] == 4
    # Another organisation has its own quota.
    assert xero("GET", "/Organisation", headers={"xero-tenant-id": US_TENANT_ID}).status_code == 200
    sandbox.clock.advance(61)
    assert xero("GET", "/Organisation").status_code == 200


def test_day_and_app_limits(client: TestClient, xero: Xero) -> None:
    client.put("/_control/limits", json={"per_day": 2})
    xero("GET", "/Organisation")
    xero("GET", "/Organisation")
    day = xero("GET", "/Organisation")
    assert (day.status_code, day.headers["X-Rate-Limit-Problem"]) == (429, "day")
    assert int(day.headers["Retry-After"]) > 3600
    client.put("/_control/limits", json={"app_per_minute": 1})
    xero("GET", "/Organisation")
    app = xero("GET", "/Organisation", headers={"xero-tenant-id": US_TENANT_ID})
    assert (app.status_code, app.headers["X-Rate-Limit-Problem"]) == (429, "appminute")


def test_concurrency_limit(app: FastAPI, client: TestClient, headers: dict[str, str]) -> None:
    client.put("/_control/latency", json={"seconds": 0.3})

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            calls = [http.get(f"{API}/Organisation", headers=headers) for _ in range(8)]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(burst())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [429] * 3
    limited = [r for r in responses if r.status_code == 429]
    assert {r.headers["X-Rate-Limit-Problem"] for r in limited} == {"concurrent"}
    counters = client.get("/_control/counters").json()
    assert counters["maxConcurrencyByTenant"][UK_TENANT_ID] == 5
    assert counters["limitViolationsByProblem"] == {"concurrent": 3}


def test_injected_5xx_then_success(client: TestClient, xero: Xero) -> None:
    rule = {
        "method": "PUT",
        "path": f"{API}/BankTransactions",
        "faults": [{"kind": "error", "status": 503}, {"kind": "error", "status": 500}],
    }
    assert client.post("/_control/faults", json=rule).status_code == 201
    body: dict[str, list[object]] = {"BankTransactions": []}
    assert xero("PUT", "/BankTransactions", json=body).status_code == 503
    assert xero("PUT", "/BankTransactions", json=body).status_code == 500
    assert xero("PUT", "/BankTransactions", json=body).status_code == 200
    assert client.get("/_control/counters").json()["injectedFaults"] == {"error": 2}


def test_injected_429_and_expired_token(client: TestClient, xero: Xero) -> None:
    client.post(
        "/_control/faults",
        json={
            "path": f"{API}/Contacts*",
            "faults": [
                {"kind": "rate_limit", "retry_after_seconds": 7, "problem": "minute"},
                {"kind": "expired_token"},
            ],
        },
    )
    limited = xero("GET", "/Contacts")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    expired = xero("GET", "/Contacts")
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired")
    assert xero("GET", "/Contacts").status_code == 200


def test_probabilistic_faults_on_token_endpoint(client: TestClient) -> None:
    client.post(
        "/_control/faults",
        json={
            "path": "/connect/token",
            "fault": {"kind": "error", "status": 502},
            "probability": 1,
            "times": 1,
        },
    )
    assert client.post("/connect/token", data={"grant_type": "x"}).status_code == 502
    assert client.post("/connect/token", data={"grant_type": "x"}).status_code == 400


def test_slow_fault_and_latency_use_the_scaled_clock(client: TestClient, xero: Xero) -> None:
    client.post("/_control/clock", json={"scale": 60})
    client.post(
        "/_control/faults",
        json={"path": f"{API}/Organisation", "faults": [{"kind": "slow", "delay_seconds": 30}]},
    )
    started = time.monotonic()
    assert xero("GET", "/Organisation").status_code == 200
    assert 0.4 <= time.monotonic() - started < 3  # 30 sandbox seconds = 0.5 s at scale 60


def test_reset_restores_seed_and_control(client: TestClient, xero: Xero) -> None:
    xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Temp"}]})
    client.put("/_control/limits", json={"per_minute": 1})
    assert client.post("/_control/reset").status_code == 200
    fresh = issue_token(client)
    headers = {"Authorization": f"Bearer {fresh['access_token']}", "xero-tenant-id": UK_TENANT_ID}
    names = {c["Name"] for c in client.get(f"{API}/Contacts", headers=headers).json()["Contacts"]}
    assert "Temp" not in names
    assert client.get(f"{API}/Contacts", headers=headers).status_code == 200


def test_seed_control_endpoint(client: TestClient, xero: Xero) -> None:
    seeded = client.post(
        "/_control/seed",
        json={
            "organisation": {"PeriodLockDate": "2024-06-30"},
            "accounts": [
                {
                    "Code": "095",
                    "Name": "EUR Card",
                    "Type": "BANK",
                    "BankAccountType": "CREDITCARD",
                    "CurrencyCode": "EUR",
                }
            ],
        },
    )
    assert seeded.status_code == 200
    org = xero("GET", "/Organisation").json()["Organisations"][0]
    assert org["PeriodLockDate"] == "/Date(1719705600000+0000)/"
    banks = xero("GET", "/Accounts", params={"where": 'Type=="BANK"'}).json()["Accounts"]
    assert "EUR Card" in {a["Name"] for a in banks}
