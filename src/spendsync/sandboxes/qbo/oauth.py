"""Intuit's OAuth 2.0 endpoints for QuickBooks Online, on the sandbox's base URL.

Real Intuit spreads them over hosts: ``appcenter.intuit.com/connect/oauth2`` (authorize),
``oauth.platform.intuit.com/oauth2/v1/tokens/bearer`` (token) and
``developer.api.intuit.com/v2/oauth2/tokens/revoke`` (revoke). The sandbox serves the same
paths from one base URL, so a client only swaps host names.

A grant connects one app to one company: the redirect carries ``code``, ``state`` and
``realmId``. Access tokens last 3600 s; refresh tokens 100 days from issue
(``x_refresh_token_expires_in``) and rotate on every refresh: the new one replaces the old,
which answers ``invalid_grant`` from then on. Revoking either token of a grant ends the whole
grant. All times are on the sandbox clock.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from spendsync.sandboxes.control import SandboxClock
from spendsync.sandboxes.oauth import (
    AppRegistration,
    AuthorizeErrors,
    IdentityProvider,
    OAuthError,
    Unauthenticated,
    check_authorize_request,
    client_credentials,
    hidden_inputs,
    read_form_fields,
    redirect_to_client,
    token_endpoint,
)

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset(
    {
        ACCOUNTING_SCOPE,
        "com.intuit.quickbooks.payment",
        "openid",
        "profile",
        "email",
        "phone",
        "address",
    }
)
AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL path, not a secret
REVOKE_PATH = "/v2/oauth2/tokens/revoke"


class IdentitySettings(BaseModel):
    access_token_seconds: int = Field(default=3600, gt=0)
    refresh_token_seconds: int = Field(default=100 * 86_400, gt=0)
    refresh_hard_seconds: int = Field(default=5 * 365 * 86_400, gt=0)
    authorization_code_seconds: int = Field(default=300, gt=0)


class ConsentSettings(BaseModel):
    """Skip the consent page: GET /connect/oauth2 redirects straight away with ``realm_id``
    (default: the first company)."""

    auto: bool = False
    realm_id: str | None = None


@dataclass
class Grant:
    """One app's consent to one company; tokens come and go, the grant stays until revoked."""

    grant_id: str
    client_id: str
    realm_id: str
    scope: tuple[str, ...]
    created_at: float
    access_token: str = ""
    access_expires_at: float = 0.0
    refresh_token: str = ""
    refresh_expires_at: float = 0.0


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    realm_id: str
    expires_at: float


@dataclass
class Access:
    """What an authenticated API call may touch."""

    client_id: str
    realm_id: str
    scope: frozenset[str]


@dataclass
class IdentityService(IdentityProvider):
    """Apps, grants (one app, one company) and their tokens; thread-safe."""

    clock: SandboxClock
    settings: IdentitySettings
    companies: Callable[[], dict[str, str]]  # realm id -> company name
    consent: ConsentSettings = field(default_factory=ConsentSettings)

    def reset_grants(self) -> None:
        with self._lock:
            self.codes: dict[str, AuthorizationCode] = {}
            self.grants: dict[str, Grant] = {}
            self.by_access: dict[str, str] = {}
            self.by_refresh: dict[str, str] = {}

    def default_realm(self) -> str | None:
        known = self.companies()
        if self.consent.realm_id in known:
            return self.consent.realm_id
        return next(iter(known), None)

    def issue_code(
        self, client_id: str, redirect_uri: str, scope: tuple[str, ...], realm_id: str
    ) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = AuthorizationCode(
                client_id,
                redirect_uri,
                scope,
                realm_id,
                self.clock.seconds() + self.settings.authorization_code_seconds,
            )
        return code

    def _client(self, client_id: str | None, client_secret: str | None) -> AppRegistration:
        app = self.apps.get(client_id or "")
        if app is None or not client_secret or app.client_secret != client_secret:
            raise OAuthError("invalid_client", 401)
        return app

    def exchange_code(
        self,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        redirect_uri: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            app = self._client(client_id, client_secret)
            grant = self.codes.pop(code or "", None)  # single use
            if (
                grant is None
                or grant.client_id != app.client_id
                or self.clock.seconds() > grant.expires_at
                or redirect_uri != grant.redirect_uri
            ):
                raise OAuthError("invalid_grant")
            return self._issue(
                Grant(
                    secrets.token_hex(8),
                    app.client_id,
                    grant.realm_id,
                    grant.scope,
                    self.clock.seconds(),
                )
            )

    def refresh(
        self, client_id: str | None, client_secret: str | None, refresh_token: str | None
    ) -> dict[str, Any]:
        with self._lock:
            app = self._client(client_id, client_secret)
            grant = self.grants.get(self.by_refresh.get(refresh_token or "", ""))
            now = self.clock.seconds()
            if (
                grant is None
                or grant.client_id != app.client_id
                or now > grant.refresh_expires_at
                or now > grant.created_at + self.settings.refresh_hard_seconds
            ):
                raise OAuthError("invalid_grant")
            return self._issue(grant)

    def revoke(self, client_id: str | None, client_secret: str | None, token: str | None) -> None:
        with self._lock:
            app = self._client(client_id, client_secret)
            grant_id = self.by_refresh.get(token or "") or self.by_access.get(token or "")
            grant = self.grants.get(grant_id or "")
            if grant is None or grant.client_id != app.client_id:
                raise OAuthError("invalid_request")
            self._drop(grant)

    def issue_direct(self, client_id: str, realm_id: str, scope: tuple[str, ...]) -> Any:
        """Control-plane shortcut: a grant and tokens without the browser dance."""
        with self._lock:
            if client_id not in self.apps:
                raise OAuthError("invalid_client", 401)
            grant = Grant(secrets.token_hex(8), client_id, realm_id, scope, self.clock.seconds())
            return self._issue(grant)

    def _drop(self, grant: Grant) -> None:
        self.grants.pop(grant.grant_id, None)
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)

    def _issue(self, grant: Grant) -> dict[str, Any]:
        """New access + refresh token for ``grant``; the previous pair stops working."""
        now = self.clock.seconds()
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)
        grant.access_token = secrets.token_urlsafe(48)
        grant.refresh_token = f"AB11{secrets.token_urlsafe(36)}"
        grant.access_expires_at = now + self.settings.access_token_seconds
        grant.refresh_expires_at = now + self.settings.refresh_token_seconds
        self.grants[grant.grant_id] = grant
        self.by_access[grant.access_token] = grant.grant_id
        self.by_refresh[grant.refresh_token] = grant.grant_id
        hard_left = grant.created_at + self.settings.refresh_hard_seconds - now
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": grant.access_token,
            "expires_in": self.settings.access_token_seconds,
            "refresh_token": grant.refresh_token,
            "x_refresh_token_expires_in": int(
                min(self.settings.refresh_token_seconds, max(hard_left, 0))
            ),
        }
        if "openid" in grant.scope:
            body["id_token"] = _unsigned_id_token(grant, now)
        return body

    def authenticate(self, authorization: str | None) -> Access:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("Token invalid: no Bearer token in the Authorization header")
        token = authorization[7:].strip()
        with self._lock:
            grant = self.grants.get(self.by_access.get(token, ""))
            if grant is None:
                raise Unauthenticated("Token invalid or revoked")
            if self.clock.seconds() >= grant.access_expires_at:
                raise Unauthenticated("Token expired: the access token has expired")
            return Access(grant.client_id, grant.realm_id, frozenset(grant.scope))


def _unsigned_id_token(grant: Grant, now: float) -> str:
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {
        "iss": "https://oauth.platform.intuit.com/op/v1",
        "aud": [grant.client_id],
        "sub": "sandbox-user",
        "realmid": grant.realm_id,
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


AUTHORIZE_ERRORS = AuthorizeErrors(
    title="QuickBooks sandbox - error",
    heading="Something went wrong",
    unknown_client="invalid_client: unknown client_id",
    unregistered_redirect_uri="The redirect_uri is not registered for this app",
)


def create_identity_router(identity: IdentityService) -> APIRouter:
    router = APIRouter(tags=["identity"])

    def check(params: dict[str, str]) -> tuple[AppRegistration, str] | Response:
        """The shared authorize checks; Intuit adds none (no PKCE for confidential apps)."""
        return check_authorize_request(params, identity.apps, KNOWN_SCOPES, AUTHORIZE_ERRORS)

    def grant(params: dict[str, str], redirect_uri: str, realm_id: str) -> Response:
        code = identity.issue_code(
            params["client_id"], redirect_uri, tuple(params.get("scope", "").split()), realm_id
        )
        return redirect_to_client(redirect_uri, params, {"code": code, "realmId": realm_id})

    @router.get(AUTHORIZE_PATH, response_model=None)
    def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        checked = check(params)
        if isinstance(checked, Response):
            return checked
        app, redirect_uri = checked
        if identity.consent.auto:
            realm_id = identity.default_realm()
            if realm_id is None:
                return AUTHORIZE_ERRORS.page("No company to connect")
            return grant(params, redirect_uri, realm_id)
        hidden = hidden_inputs(params)
        companies = "".join(
            f"<li><label><input type='radio' name='realmId' value='{html.escape(realm)}'"
            f"{' checked' if index == 0 else ''}> {html.escape(name)}</label></li>"
            for index, (realm, name) in enumerate(identity.companies().items())
        )
        return HTMLResponse(
            "<!doctype html><html><head><title>QuickBooks sandbox - connect</title></head><body>"
            f"<h1>{html.escape(app.name)} wants to connect to your QuickBooks company</h1>"
            f"<form method='post' action='{AUTHORIZE_PATH}'>{hidden}<ul>{companies}</ul>"
            "<button type='submit' name='decision' value='allow'>Connect</button> "
            "<button type='submit' name='decision' value='deny'>Cancel</button>"
            "</form></body></html>"
        )

    @router.post(AUTHORIZE_PATH, response_model=None)
    async def consent(request: Request) -> Response:
        form = await read_form_fields(request)
        decision = form.pop("decision", "allow")
        realm_id = form.pop("realmId", "")
        checked = check(form)
        if isinstance(checked, Response):
            return checked
        _, redirect_uri = checked
        if decision != "allow":
            return redirect_to_client(redirect_uri, form, {"error": "access_denied"})
        if realm_id not in identity.companies():
            return AUTHORIZE_ERRORS.page("Choose a company")
        return grant(form, redirect_uri, realm_id)

    @router.post(TOKEN_PATH, response_model=None)
    async def token(request: Request) -> Response:
        return await token_endpoint(
            request,
            exchange_code=lambda client_id, client_secret, form: identity.exchange_code(
                client_id, client_secret, form.get("code"), form.get("redirect_uri")
            ),
            refresh=identity.refresh,
        )

    @router.post(REVOKE_PATH, response_model=None)
    async def revoke(request: Request) -> Response:
        raw = await request.body()
        token_value: str | None = None
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                parsed = json.loads(raw or b"{}")
                token_value = parsed.get("token") if isinstance(parsed, dict) else None
            except ValueError:
                token_value = None
            form: dict[str, str] = {}
        else:
            form = await read_form_fields(request)
            token_value = form.get("token")
        client_id, client_secret = client_credentials(request, form)
        try:
            identity.revoke(client_id, client_secret, token_value)
        except OAuthError as error:
            return error.response()
        return Response(status_code=200)

    return router
