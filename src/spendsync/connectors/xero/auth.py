"""Xero's OAuth 2.0 authorization-code flow with PKCE (authlib), and the tenant lookup."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error

from spendsync.config import Settings
from spendsync.connectors.errors import AuthFailure, Transient

SCOPES = (
    "openid profile email offline_access accounting.transactions accounting.settings "
    "accounting.contacts accounting.attachments"
)
CALLBACK_PATH = "/link/callback/xero"


@dataclass(frozen=True)
class XeroApp:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    connections_url: str
    revocation_url: str
    api_url: str
    redirect_uri: str


def xero_app(settings: Settings) -> XeroApp | None:
    """The configured Xero app, or None when this server has no Xero credentials."""
    if not settings.xero_client_id or settings.xero_client_secret is None:
        return None
    return XeroApp(
        client_id=settings.xero_client_id,
        client_secret=settings.xero_client_secret.get_secret_value(),
        authorize_url=settings.xero_authorize_url,
        token_url=settings.xero_token_url,
        connections_url=settings.xero_connections_url,
        revocation_url=settings.xero_revocation_url,
        api_url=settings.xero_api_url.rstrip("/"),
        redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH,
    )


def _oauth(app: XeroApp, **kwargs: Any) -> OAuth2Client:
    return OAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        scope=SCOPES,
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
        timeout=30,
        **kwargs,
    )


def authorization_url(app: XeroApp, state: str, code_verifier: str) -> str:
    with _oauth(app) as client:
        url, _ = client.create_authorization_url(
            app.authorize_url, state=state, code_verifier=code_verifier
        )
    return str(url)


def _token(token: dict[str, Any]) -> dict[str, Any]:
    expires_at = token.get("expires_at") or time.time() + float(token.get("expires_in", 1800))
    return {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": float(expires_at),
    }


def exchange_code(app: XeroApp, code: str, code_verifier: str) -> dict[str, Any]:
    try:
        with _oauth(app) as client:
            return _token(
                client.fetch_token(
                    app.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            )
    except OAuth2Error as exc:
        raise AuthFailure(f"Xero refused the authorization code: {exc.error}") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"Xero's token endpoint did not answer: {exc}") from exc


def refresh(app: XeroApp, refresh_token: str) -> dict[str, Any]:
    """Xero rotates refresh tokens: the answer carries the one to keep."""
    try:
        with _oauth(app) as client:
            return _token(client.refresh_token(app.token_url, refresh_token=refresh_token))
    except OAuth2Error as exc:
        raise AuthFailure(f"Xero refused to refresh the access: {exc.error}") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"Xero's token endpoint did not answer: {exc}") from exc


def revoke(app: XeroApp, refresh_token: str) -> None:
    """Revoking the refresh token also ends the app's connections to the organisation."""
    try:
        with _oauth(app) as client:
            response = client.revoke_token(
                app.revocation_url,
                token=refresh_token,
                token_type_hint="refresh_token",  # noqa: S106 - a hint name
            )
    except httpx.HTTPError as exc:
        raise Transient(f"Xero's revocation endpoint did not answer: {exc}") from exc
    if response.status_code >= 400:
        raise Transient(f"Xero answered {response.status_code} to the revocation.")


def authentication_event(access_token: str) -> str | None:
    """The `authentication_event_id` claim of Xero's (JWT) access token: which consent it came
    from. Only read, not verified: the token came straight from Xero's token endpoint."""
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    event = claims.get("authentication_event_id") if isinstance(claims, dict) else None
    return str(event) if event else None


def tenants(app: XeroApp, access_token: str) -> list[dict[str, Any]]:
    """The organisations this consent connected, newest first. Xero lists every organisation
    the user ever connected to the app; the token's authentication event picks this consent's."""
    event = authentication_event(access_token)
    try:
        response = httpx.get(
            app.connections_url,
            params={"authEventId": event} if event else None,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise Transient(f"Xero did not answer: {exc}") from exc
    if response.status_code in (401, 403):
        raise AuthFailure("Xero refused the new access token.")
    if response.status_code >= 400:
        raise Transient(f"Xero answered {response.status_code} listing tenants.")
    found: list[dict[str, Any]] = response.json()
    organisations = [t for t in found if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]
    return sorted(
        organisations,
        key=lambda t: str(t.get("updatedDateUtc") or t.get("createdDateUtc") or ""),
        reverse=True,
    )
