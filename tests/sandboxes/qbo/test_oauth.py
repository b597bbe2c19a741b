"""Intuit OAuth 2.0: authorize (+ auto-consent), token grants, rotation, revoke, expiry."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.app import DEFAULT_APP
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import fault_of, issue_token

REDIRECT = DEFAULT_APP.redirect_uris[0]
SCOPE = "com.intuit.quickbooks.accounting openid"


def _basic(client_id: str = DEFAULT_APP.client_id, secret: str | None = None) -> dict[str, str]:
    secret = DEFAULT_APP.client_secret if secret is None else secret
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _authorize(client: TestClient, **extra: str) -> Any:
    params = {
        "client_id": DEFAULT_APP.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "state": "xyz",
        **extra,
    }
    return client.get("/connect/oauth2", params=params, follow_redirects=False)


def _exchange(client: TestClient, code: str, **headers: str) -> Any:
    return client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers=headers or _basic(),
    )


def _code_via_auto_consent(client: TestClient) -> dict[str, list[str]]:
    client.put("/_control/qbo/consent", json={"auto": True, "realm_id": UK_REALM_ID})
    response = _authorize(client)
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["location"]).query)


def test_auto_consent_redirects_with_code_state_and_realm_id(client: TestClient) -> None:
    query = _code_via_auto_consent(client)
    assert query["state"] == ["xyz"]
    assert query["realmId"] == [UK_REALM_ID]
    assert query["code"][0]


def test_consent_page_lists_companies_and_posting_it_grants_the_chosen_one(
    client: TestClient,
) -> None:
    page = _authorize(client)
    assert page.status_code == 200
    assert "Demo US Inc" in page.text
    assert "Demo UK Ltd" in page.text
    answer = client.post(
        "/connect/oauth2",
        data={
            "client_id": DEFAULT_APP.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": SCOPE,
            "state": "s1",
            "realmId": UK_REALM_ID,
            "decision": "allow",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["realmId"] == [UK_REALM_ID]
    denied = client.post(
        "/connect/oauth2",
        data={
            "client_id": DEFAULT_APP.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": SCOPE,
            "state": "s2",
            "decision": "deny",
        },
        follow_redirects=False,
    )
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]


def test_unregistered_redirect_uri_or_client_is_an_error_page(client: TestClient) -> None:
    assert _authorize(client, redirect_uri="https://evil.example/cb").status_code == 400
    assert _authorize(client, client_id="nope").status_code == 400
    bad_scope = _authorize(client, scope="com.intuit.quickbooks.nothing")
    assert "error=invalid_scope" in bad_scope.headers["location"]


def test_code_exchange_needs_basic_auth_and_returns_qbo_token_fields(client: TestClient) -> None:
    code = _code_via_auto_consent(client)["code"][0]
    wrong_secret = _exchange(client, code, **_basic(secret="wrong"))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {"error": "invalid_client"}
    code = _code_via_auto_consent(client)["code"][0]
    response = _exchange(client, code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 100 * 86_400
    assert body["access_token"]
    assert body["refresh_token"]
    assert "id_token" in body
    again = _exchange(client, code)  # codes are single use
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant"}


def test_access_token_works_on_its_realm_only(client: TestClient) -> None:
    code = _code_via_auto_consent(client)["code"][0]
    token = _exchange(client, code).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    own = client.get(f"/v3/company/{UK_REALM_ID}/preferences", headers=headers)
    assert own.status_code == 200
    other = client.get(f"/v3/company/{US_REALM_ID}/preferences", headers=headers)
    assert other.status_code == 403
    assert other.json()["Fault"]["type"] == "AuthorizationFault"
    assert fault_of(other)["code"] == "3100"


def test_refresh_tokens_rotate_and_the_old_one_stops_working(client: TestClient) -> None:
    first = issue_token(client)
    refresh = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=_basic(),
    )
    assert refresh.status_code == 200
    second = refresh.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reuse = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=_basic(),
    )
    assert reuse.status_code == 400
    assert reuse.json() == {"error": "invalid_grant"}
    old_access = client.get(
        f"/v3/company/{US_REALM_ID}/preferences",
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert old_access.status_code == 401
    new_access = client.get(
        f"/v3/company/{US_REALM_ID}/preferences",
        headers={"Authorization": f"Bearer {second['access_token']}"},
    )
    assert new_access.status_code == 200


def test_expired_access_token_is_a_401_authentication_fault(
    client: TestClient, sandbox: QboSandbox
) -> None:
    token = issue_token(client)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get(f"/v3/company/{US_REALM_ID}/preferences", headers=headers).is_success
    sandbox.clock.advance(3600)
    expired = client.get(f"/v3/company/{US_REALM_ID}/preferences", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["Fault"]["type"] == "AuthenticationFault"
    error = fault_of(expired)
    assert error["code"] == "3200"
    assert "Token expired" in error["Detail"]
    assert "invalid_token" in expired.headers["WWW-Authenticate"]
    refreshed = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers=_basic(),
    )
    assert refreshed.status_code == 200  # refresh tokens outlive access tokens


def test_refresh_token_expires_after_100_days(client: TestClient, sandbox: QboSandbox) -> None:
    token = issue_token(client)
    sandbox.clock.advance(100 * 86_400 + 1)
    response = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers=_basic(),
    )
    assert response.json() == {"error": "invalid_grant"}


def test_revoke_ends_the_grant(client: TestClient) -> None:
    token = issue_token(client)
    revoke = client.post(
        "/v2/oauth2/tokens/revoke", json={"token": token["refresh_token"]}, headers=_basic()
    )
    assert revoke.status_code == 200
    api = client.get(
        f"/v3/company/{US_REALM_ID}/preferences",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert api.status_code == 401
    refresh = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers=_basic(),
    )
    assert refresh.status_code == 400


def test_registered_apps_can_be_added(client: TestClient) -> None:
    app = {"client_id": "other", "client_secret": "s3cret", "redirect_uris": [REDIRECT]}
    assert client.post("/_control/qbo/apps", json=app).status_code == 201
    client.put("/_control/qbo/consent", json={"auto": True})
    response = _authorize(client, client_id="other")
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["realmId"] == [US_REALM_ID]  # the first company by default
    token = _exchange(client, query["code"][0], **_basic("other", "s3cret"))
    assert token.status_code == 200


def test_missing_bearer_is_401(client: TestClient) -> None:
    response = client.get(f"/v3/company/{US_REALM_ID}/preferences")
    assert response.status_code == 401
    assert fault_of(response)["code"] == "3200"
