"""Identity: authorization code + PKCE, consent, token rotation with grace, expiry, connections."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from spendsync.sandboxes.xero import XeroSandbox
from spendsync.sandboxes.xero.app import DEFAULT_APP
from spendsync.sandboxes.xero.seed import UK_TENANT_ID, US_TENANT_ID
from tests.sandboxes.xero.conftest import API
from tests.sandboxes.xero.spec import IDENTITY_SPEC, conforms

REDIRECT = "http://localhost:8080/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-sandbox-verifier"
SCOPE = "openid profile email offline_access accounting.transactions accounting.settings"


def challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": DEFAULT_APP.client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "state-123",
        "code_challenge": challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def basic() -> dict[str, str]:
    raw = f"{DEFAULT_APP.client_id}:{DEFAULT_APP.client_secret}".encode()
    return {"Authorization": f"Basic {base64.b64encode(raw).decode()}"}


def consent(client: TestClient, tenants: list[str], **overrides: str) -> dict[str, list[str]]:
    """GET the consent page, then POST its form as a user clicking "Allow access"."""
    page = client.get("/identity/connect/authorize", params=authorize_params(**overrides))
    assert page.status_code == 200
    assert "Allow access" in page.text
    assert "Demo UK Ltd" in page.text
    assert "Demo US Inc" in page.text
    hidden = dict(re.findall(r"name='([^']+)' value='([^']*)'", page.text))
    form: list[tuple[str, str]] = [
        (k, v) for k, v in hidden.items() if k not in ("tenant", "decision")
    ]
    form += [("tenant", tenant) for tenant in tenants] + [("decision", "allow")]
    response = client.post(
        "/identity/connect/authorize",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


def exchange(client: TestClient, code: str, verifier: str = VERIFIER) -> Any:
    return client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=basic(),
    )


def test_code_flow_with_pkce_connects_the_chosen_organisations(client: TestClient) -> None:
    query = consent(client, [UK_TENANT_ID, US_TENANT_ID])
    assert query["state"] == ["state-123"]
    response = exchange(client, query["code"][0])
    assert response.status_code == 200, response.text
    tokens = response.json()
    conforms(tokens, "AccessToken", IDENTITY_SPEC)
    assert tokens["expires_in"] == 1800
    assert tokens["token_type"] == "Bearer"
    assert set(tokens) >= {"access_token", "refresh_token", "id_token", "scope"}
    connections = client.get(
        "/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert connections.status_code == 200
    body = connections.json()
    for connection in body:
        conforms(connection, "Connection", IDENTITY_SPEC)
    assert {c["tenantId"] for c in body} == {UK_TENANT_ID, US_TENANT_ID}
    assert {c["tenantName"] for c in body} == {"Demo UK Ltd", "Demo US Inc"}
    assert all(c["tenantType"] == "ORGANISATION" for c in body)
    assert len({c["authEventId"] for c in body}) == 1
    # The code is single-use.
    assert exchange(client, query["code"][0]).json() == {"error": "invalid_grant"}


def test_pkce_verifier_and_redirect_uri_are_checked(client: TestClient) -> None:
    code = consent(client, [UK_TENANT_ID])["code"][0]
    wrong = exchange(client, code, verifier="not-the-verifier-" + "x" * 30)
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    code = consent(client, [UK_TENANT_ID])["code"][0]
    mismatch = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:8080/other",
            "code_verifier": VERIFIER,
        },
        headers=basic(),
    )
    assert mismatch.json() == {"error": "invalid_grant"}


def test_client_authentication_in_body_and_bad_secret(client: TestClient) -> None:
    code = consent(client, [UK_TENANT_ID])["code"][0]
    ok = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
            "client_id": DEFAULT_APP.client_id,
            "client_secret": DEFAULT_APP.client_secret,
        },
    )
    assert ok.status_code == 200
    bad = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": ok.json()["refresh_token"]},
        headers={"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_client"})
    unsupported = client.post("/connect/token", data={"grant_type": "password"}, headers=basic())
    assert unsupported.json() == {"error": "unsupported_grant_type"}


def test_authorize_rejects_unknown_client_and_redirect(client: TestClient) -> None:
    unknown = client.get("/identity/connect/authorize", params=authorize_params(client_id="nope"))
    assert unknown.status_code == 400
    assert "unauthorized_client" in unknown.text
    redirect = client.get(
        "/identity/connect/authorize", params=authorize_params(redirect_uri="http://evil/cb")
    )
    assert redirect.status_code == 400
    scope = client.get(
        "/identity/connect/authorize",
        params=authorize_params(scope="accounting.everything"),
        follow_redirects=False,
    )
    assert scope.status_code == 302
    assert "error=invalid_scope" in scope.headers["location"]


def test_deny_redirects_with_access_denied(client: TestClient) -> None:
    response = client.post(
        "/identity/connect/authorize",
        data={**authorize_params(), "tenant": UK_TENANT_ID, "decision": "deny"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["state-123"]


def test_auto_consent_redirects_immediately_for_the_chosen_org(client: TestClient) -> None:
    client.put("/_control/xero/consent", json={"auto": True, "tenant_ids": [US_TENANT_ID]})
    response = client.get(
        "/identity/connect/authorize", params=authorize_params(), follow_redirects=False
    )
    assert response.status_code == 302
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    tokens = exchange(client, code).json()
    connections = client.get(
        "/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert [c["tenantId"] for c in connections] == [US_TENANT_ID]


def test_refresh_rotation_grace_period_and_expiry(client: TestClient, sandbox: XeroSandbox) -> None:
    tokens = exchange(client, consent(client, [UK_TENANT_ID])["code"][0]).json()

    def refresh(token: str) -> Any:
        return client.post(
            "/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": token},
            headers=basic(),
        )

    first = refresh(tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    # The replaced token still works during the 30-minute grace period …
    sandbox.clock.advance(29 * 60)
    assert refresh(tokens["refresh_token"]).status_code == 200
    # … and not after it.
    sandbox.clock.advance(2 * 60)
    late = refresh(tokens["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    # The newest token is unaffected.
    assert refresh(rotated["refresh_token"]).status_code == 200


def test_refresh_token_expires_when_unused(client: TestClient, sandbox: XeroSandbox) -> None:
    tokens = exchange(client, consent(client, [UK_TENANT_ID])["code"][0]).json()
    sandbox.clock.advance(61 * 86_400)
    response = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(),
    )
    assert response.json() == {"error": "invalid_grant"}


def test_access_token_expires_after_1800_seconds(client: TestClient, sandbox: XeroSandbox) -> None:
    tokens = exchange(client, consent(client, [UK_TENANT_ID])["code"][0]).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": UK_TENANT_ID}
    assert client.get(f"{API}/Organisation", headers=headers).status_code == 200
    sandbox.clock.advance(1799)
    assert client.get(f"{API}/Organisation", headers=headers).status_code == 200
    sandbox.clock.advance(2)
    expired = client.get(f"{API}/Organisation", headers=headers)
    assert expired.status_code == 401
    body = expired.json()
    assert body["Title"] == "Unauthorized"
    assert body["Status"] == 401
    assert body["Type"] is None
    assert body["Detail"].startswith("TokenExpired: token expired at ")


def test_no_refresh_token_without_offline_access(client: TestClient) -> None:
    query = consent(client, [UK_TENANT_ID], scope="accounting.transactions")
    tokens = exchange(client, query["code"][0]).json()
    assert "refresh_token" not in tokens
    assert "id_token" not in tokens


def test_authorization_code_expires(client: TestClient, sandbox: XeroSandbox) -> None:
    code = consent(client, [UK_TENANT_ID])["code"][0]
    sandbox.clock.advance(301)
    assert exchange(client, code).json() == {"error": "invalid_grant"}


def test_delete_connection_revokes_tenant_access(client: TestClient) -> None:
    tokens = exchange(client, consent(client, [UK_TENANT_ID, US_TENANT_ID])["code"][0]).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    uk = next(
        c
        for c in client.get("/Connections", headers=bearer).json()
        if c["tenantId"] == UK_TENANT_ID
    )
    assert client.delete(f"/connections/{uk['id']}", headers=bearer).status_code == 204
    assert client.delete(f"/connections/{uk['id']}", headers=bearer).status_code == 404
    assert [c["tenantId"] for c in client.get("/connections", headers=bearer).json()] == [
        US_TENANT_ID
    ]
    forbidden = client.get(
        f"{API}/Organisation", headers={**bearer, "xero-tenant-id": UK_TENANT_ID}
    )
    assert forbidden.status_code == 403
    assert (
        client.get(
            f"{API}/Organisation", headers={**bearer, "xero-tenant-id": US_TENANT_ID}
        ).status_code
        == 200
    )


def test_connections_requires_a_bearer_token(client: TestClient) -> None:
    response = client.get("/connections")
    assert response.status_code == 401
    assert response.json()["Detail"] == "AuthenticationUnsuccessful"


def test_public_client_must_use_pkce(client: TestClient) -> None:
    client.post(
        "/_control/xero/apps",
        json={"client_id": "mobile", "redirect_uris": [REDIRECT], "name": "Mobile"},
    )
    query = consent(client, [UK_TENANT_ID], client_id="mobile")
    response = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
            "client_id": "mobile",
        },
    )
    assert response.status_code == 200, response.text
    no_pkce = consent(client, [UK_TENANT_ID], client_id="mobile", code_challenge="")
    refused = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": no_pkce["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": "mobile",
        },
    )
    assert refused.json() == {"error": "invalid_grant"}


@pytest.mark.parametrize("scope", ["accounting.settings.read"])
def test_scopes_are_enforced(client: TestClient, scope: str) -> None:
    from tests.sandboxes.xero.conftest import issue_token

    tokens = issue_token(client, (UK_TENANT_ID,), scope=scope)
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": UK_TENANT_ID}
    assert client.get(f"{API}/Accounts", headers=headers).status_code == 200
    refused = client.get(f"{API}/BankTransactions", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["Detail"] == "AuthorizationUnsuccessful"
