"""Intuit's OAuth 2.0 authorization-code flow for QuickBooks Online (authlib), and revocation.

Access tokens last an hour; refresh tokens roll (about 100 days, 5 years at most) and rotate on
every refresh, so the answer to each refresh is stored at once (connectors/credentials.py).
The callback carries the company's `realmId` next to the code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error

from spendsync.config import Settings
from spendsync.connectors.errors import AuthFailure, Transient

SCOPES = "com.intuit.quickbooks.accounting"
CALLBACK_NAME = "quickbooksonline"
CALLBACK_PATH = f"/link/callback/{CALLBACK_NAME}"
ACCESS_SECONDS_DEFAULT = 3600


@dataclass(frozen=True)
class QboApp:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revocation_url: str
    api_url: str
    redirect_uri: str
    minor_version: int


def qbo_app(settings: Settings) -> QboApp | None:
    """The configured QuickBooks app, or None when this server has no QBO credentials."""
    if not settings.qbo_client_id or settings.qbo_client_secret is None:
        return None
    return QboApp(
        client_id=settings.qbo_client_id,
        client_secret=settings.qbo_client_secret.get_secret_value(),
        authorize_url=settings.qbo_authorize_url,
        token_url=settings.qbo_token_url,
        revocation_url=settings.qbo_revocation_url,
        api_url=settings.qbo_api_url.rstrip("/"),
        redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH,
        minor_version=settings.qbo_minor_version,
    )


def _oauth(app: QboApp) -> OAuth2Client:
    return OAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        scope=SCOPES,
        redirect_uri=app.redirect_uri,
        timeout=30,
    )


def authorization_url(app: QboApp, state: str) -> str:
    with _oauth(app) as client:
        url, _ = client.create_authorization_url(app.authorize_url, state=state)
    return str(url)


def token_fields(token: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """What we keep of Intuit's token answer (absolute expiry times, epoch seconds)."""
    now = time.time() if now is None else now
    fields: dict[str, Any] = {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": float(now + float(token.get("expires_in") or ACCESS_SECONDS_DEFAULT)),
    }
    if token.get("x_refresh_token_expires_in") is not None:
        fields["refresh_expires_at"] = float(now + float(token["x_refresh_token_expires_in"]))
    return fields


def exchange_code(app: QboApp, code: str) -> dict[str, Any]:
    try:
        with _oauth(app) as client:
            return token_fields(
                client.fetch_token(app.token_url, grant_type="authorization_code", code=code)
            )
    except (OAuth2Error, OAuthError) as exc:
        raise AuthFailure(f"Intuit refused the authorization code: {exc.error}") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"Intuit's token endpoint did not answer: {exc}") from exc


def refresh(app: QboApp, refresh_token: str) -> dict[str, Any]:
    """Intuit rotates refresh tokens: the answer carries the one to keep."""
    try:
        with _oauth(app) as client:
            return token_fields(client.refresh_token(app.token_url, refresh_token=refresh_token))
    except (OAuth2Error, OAuthError) as exc:
        # invalid_grant: the refresh token was revoked (the customer disconnected the app)
        # or has expired; the connection must be linked again.
        raise AuthFailure(f"Intuit refused to refresh the access: {exc.error}") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"Intuit's token endpoint did not answer: {exc}") from exc


def revoke(app: QboApp, token: str) -> None:
    """Revoking the refresh token ends the app's grant to the company (Intuit takes JSON)."""
    try:
        response = httpx.post(
            app.revocation_url,
            json={"token": token},
            auth=(app.client_id, app.client_secret),
            headers={"Accept": "application/json"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise Transient(f"Intuit's revocation endpoint did not answer: {exc}") from exc
    if response.status_code >= 400:
        raise Transient(f"Intuit answered {response.status_code} to the revocation.")
