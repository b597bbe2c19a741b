"""Xero's OAuth 2.0 identity endpoints: authorize + consent, token, connections.

Real Xero spreads these over three hosts (``login.xero.com/identity/connect/authorize``,
``identity.xero.com/connect/token``, ``api.xero.com/connections``); the sandbox serves them all
from one base URL with the same paths, so a client only swaps host names.

Lifetimes follow Xero: access tokens last 1800 s, authorization codes 5 minutes, refresh tokens
rotate on every use (the old one keeps working for a 30-minute grace period, then answers
``invalid_grant``) and expire when unused for 60 days. All times are on the sandbox clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
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
    read_form,
    read_form_fields,
    redirect_to_client,
    token_endpoint,
)
from spendsync.sandboxes.xero.errors import problem

KNOWN_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.attachments",
        "accounting.attachments.read",
        "accounting.journals.read",
        "accounting.reports.read",
        "accounting.reports.tenninetynine.read",
        "accounting.budgets.read",
        "paymentservices",
    }
)
__all__ = [
    "AppRegistration",
    "ConsentSettings",
    "IdentityService",
    "IdentitySettings",
    "OAuthError",
    "Unauthenticated",
    "create_identity_router",
    "expired_detail",
    "pkce_challenge",
    "unauthorized",
]
SANDBOX_USER_ID = "5a1d0a9e-0c2f-4a7e-9d51-5d3f1b5e7c11"
SANDBOX_USER_EMAIL = "sandbox.user@example.com"


class IdentitySettings(BaseModel):
    access_token_seconds: int = Field(default=1800, gt=0)
    refresh_token_seconds: int = Field(default=60 * 86_400, gt=0)
    refresh_grace_seconds: int = Field(default=1800, ge=0)
    authorization_code_seconds: int = Field(default=300, gt=0)


class ConsentSettings(BaseModel):
    """Skip the consent page: GET /identity/connect/authorize redirects straight away."""

    auto: bool = False
    tenant_ids: list[str] | None = None


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    tenant_ids: tuple[str, ...]
    auth_event_id: str
    expires_at: float
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass
class AccessToken:
    token: str
    client_id: str
    scope: frozenset[str]
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    client_id: str
    scope: tuple[str, ...]
    auth_event_id: str
    expires_at: float
    rotated_at: float | None = None


@dataclass
class Connection:
    connection_id: str
    client_id: str
    tenant_id: str
    auth_event_id: str
    created: datetime
    updated: datetime

    def to_json(self, tenant_name: str) -> dict[str, Any]:
        return {
            "id": self.connection_id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": tenant_name,
            "createdDateUtc": self.created.strftime("%Y-%m-%dT%H:%M:%S.%f0"),
            "updatedDateUtc": self.updated.strftime("%Y-%m-%dT%H:%M:%S.%f0"),
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a verifier (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass
class IdentityService(IdentityProvider):
    """Apps, grants, tokens and connections; thread-safe."""

    clock: SandboxClock
    settings: IdentitySettings
    organisations: Callable[[], dict[str, str]]  # tenant id -> name
    consent: ConsentSettings = field(default_factory=ConsentSettings)

    def reset_grants(self) -> None:
        with self._lock:
            self.codes: dict[str, AuthorizationCode] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.connections: dict[str, Connection] = {}

    # --- authorize ----------------------------------------------------------------------
    def default_tenants(self) -> list[str]:
        organisations = list(self.organisations())
        chosen = self.consent.tenant_ids
        if chosen:
            return [tenant for tenant in chosen if tenant in self.organisations()]
        return organisations[:1]

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scope: tuple[str, ...],
        tenant_ids: list[str],
        code_challenge: str | None,
        code_challenge_method: str | None,
    ) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = AuthorizationCode(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                tenant_ids=tuple(tenant_ids),
                auth_event_id=str(uuid.uuid4()),
                expires_at=self.clock.seconds() + self.settings.authorization_code_seconds,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
            )
        return code

    # --- token endpoint -----------------------------------------------------------------
    def _client(self, client_id: str | None, client_secret: str | None) -> AppRegistration:
        app = self.apps.get(client_id or "")
        if app is None:
            raise OAuthError("invalid_client")
        if app.client_secret is not None and not (
            client_secret is not None and hmac.compare_digest(app.client_secret, client_secret)
        ):
            raise OAuthError("invalid_client")
        return app

    def exchange_code(
        self,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            app = self._client(client_id, client_secret)
            grant = self.codes.pop(code or "", None)  # single use, even when it fails below
            if grant is None or grant.client_id != app.client_id:
                raise OAuthError("invalid_grant")
            if self.clock.seconds() > grant.expires_at:
                raise OAuthError("invalid_grant")
            if redirect_uri != grant.redirect_uri:
                raise OAuthError("invalid_grant")
            if grant.code_challenge is not None:
                if not code_verifier:
                    raise OAuthError("invalid_grant")
                expected = (
                    pkce_challenge(code_verifier)
                    if (grant.code_challenge_method or "plain") == "S256"
                    else code_verifier
                )
                if not hmac.compare_digest(expected, grant.code_challenge):
                    raise OAuthError("invalid_grant")
            elif app.client_secret is None:
                raise OAuthError("invalid_grant")  # a public client must use PKCE
            now = self.clock.now()
            for tenant_id in grant.tenant_ids:
                self._connect(app.client_id, tenant_id, grant.auth_event_id, now)
            return self._issue(app, grant.scope, grant.auth_event_id)

    def refresh(
        self, client_id: str | None, client_secret: str | None, refresh_token: str | None
    ) -> dict[str, Any]:
        with self._lock:
            app = self._client(client_id, client_secret)
            record = self.refresh_tokens.get(refresh_token or "")
            now = self.clock.seconds()
            if record is None or record.client_id != app.client_id or now > record.expires_at:
                raise OAuthError("invalid_grant")
            if record.rotated_at is not None:
                if now > record.rotated_at + self.settings.refresh_grace_seconds:
                    raise OAuthError("invalid_grant")
            else:
                record.rotated_at = now
            return self._issue(app, record.scope, record.auth_event_id)

    def revoke(self, client_id: str | None, client_secret: str | None, token: str | None) -> None:
        with self._lock:
            app = self._client(client_id, client_secret)
            record = self.refresh_tokens.get(token or "")
            if record is not None and record.client_id == app.client_id:
                # Xero: revoking a refresh token also removes the connections it authorised.
                del self.refresh_tokens[record.token]
                for connection_id, connection in list(self.connections.items()):
                    if (
                        connection.client_id == app.client_id
                        and connection.auth_event_id == record.auth_event_id
                    ):
                        del self.connections[connection_id]

    def issue_direct(self, client_id: str, tenant_ids: list[str], scope: tuple[str, ...]) -> Any:
        """Control-plane shortcut: connect tenants and mint tokens without the browser dance."""
        with self._lock:
            app = self.apps.get(client_id)
            if app is None:
                raise OAuthError("invalid_client")
            auth_event_id = str(uuid.uuid4())
            now = self.clock.now()
            for tenant_id in tenant_ids:
                self._connect(client_id, tenant_id, auth_event_id, now)
            return self._issue(app, scope, auth_event_id)

    def _connect(self, client_id: str, tenant_id: str, auth_event_id: str, now: datetime) -> None:
        for connection in self.connections.values():
            if connection.client_id == client_id and connection.tenant_id == tenant_id:
                connection.updated = now
                connection.auth_event_id = auth_event_id
                return
        connection_id = str(uuid.uuid4())
        self.connections[connection_id] = Connection(
            connection_id, client_id, tenant_id, auth_event_id, now, now
        )

    def _issue(
        self, app: AppRegistration, scope: tuple[str, ...], auth_event_id: str
    ) -> dict[str, Any]:
        now = self.clock.seconds()
        access = self._access_token(app, scope, auth_event_id, now)
        self.access_tokens[access] = AccessToken(
            access, app.client_id, frozenset(scope), now + self.settings.access_token_seconds
        )
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.settings.access_token_seconds,
            "token_type": "Bearer",
            "scope": " ".join(scope),
        }
        if "offline_access" in scope:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = RefreshToken(
                refresh,
                app.client_id,
                scope,
                auth_event_id,
                now + self.settings.refresh_token_seconds,
            )
            body["refresh_token"] = refresh
        if "openid" in scope:
            body["id_token"] = self._id_token(app, now)
        return body

    def _access_token(
        self, app: AppRegistration, scope: tuple[str, ...], auth_event_id: str, now: float
    ) -> str:
        """A JWT like Xero's: its `authentication_event_id` tells the app which connections
        this consent created (GET /connections?authEventId=…)."""
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "nbf": int(now),
            "exp": int(now) + self.settings.access_token_seconds,
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": app.client_id,
            "sub": SANDBOX_USER_ID,
            "auth_time": int(now),
            "xero_userid": SANDBOX_USER_ID,
            "jti": secrets.token_hex(16),
            "authentication_event_id": auth_event_id,
            "scope": list(scope),
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = hmac.new(
            (app.client_secret or "sandbox").encode(), signing_input.encode(), hashlib.sha256
        ).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def _id_token(self, app: AppRegistration, now: float) -> str:
        header = {"alg": "HS256" if app.client_secret else "none", "typ": "JWT"}
        claims = {
            "iss": "https://identity.xero.com",
            "aud": app.client_id,
            "sub": SANDBOX_USER_ID,
            "xero_userid": SANDBOX_USER_ID,
            "email": SANDBOX_USER_EMAIL,
            "given_name": "Sandbox",
            "family_name": "User",
            "iat": int(now),
            "auth_time": int(now),
            "exp": int(now) + 300,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        if not app.client_secret:
            return f"{signing_input}."
        signature = hmac.new(
            app.client_secret.encode(), signing_input.encode(), hashlib.sha256
        ).digest()
        return f"{signing_input}.{_b64url(signature)}"

    # --- resource side ------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> AccessToken:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("AuthenticationUnsuccessful")
        token = authorization[7:].strip()
        with self._lock:
            record = self.access_tokens.get(token)
        if record is None:
            raise Unauthenticated("AuthenticationUnsuccessful")
        if self.clock.seconds() >= record.expires_at:
            raise Unauthenticated(expired_detail(datetime.fromtimestamp(record.expires_at, UTC)))
        return record

    def connected(self, client_id: str, tenant_id: str) -> bool:
        with self._lock:
            return any(
                c.client_id == client_id and c.tenant_id == tenant_id
                for c in self.connections.values()
            )

    def list_connections(self, client_id: str, auth_event_id: str | None) -> list[dict[str, Any]]:
        names = self.organisations()
        with self._lock:
            return [
                c.to_json(names.get(c.tenant_id, ""))
                for c in self.connections.values()
                if c.client_id == client_id
                and (auth_event_id is None or c.auth_event_id == auth_event_id)
            ]

    def delete_connection(self, client_id: str, connection_id: str) -> bool:
        with self._lock:
            connection = self.connections.get(connection_id)
            if connection is None or connection.client_id != client_id:
                return False
            del self.connections[connection_id]
            return True


def expired_detail(expired_at: datetime) -> str:
    return f"TokenExpired: token expired at {expired_at.strftime('%m/%d/%Y %H:%M:%S')}"


def unauthorized(detail: str) -> JSONResponse:
    return JSONResponse(problem(401, "Unauthorized", detail), status_code=401)


AUTHORIZE_ERRORS = AuthorizeErrors(
    title="Xero sandbox - error",
    heading="Sorry, something went wrong",
    unknown_client="unauthorized_client: Unknown client or client not enabled",
    unregistered_redirect_uri="Invalid redirect_uri",
)


def create_identity_router(identity: IdentityService) -> APIRouter:
    router = APIRouter(tags=["identity"])

    def check_request(params: dict[str, str]) -> tuple[AppRegistration, str] | Response:
        """The shared authorize checks, then Xero's: a PKCE method must be S256 or plain."""
        checked = check_authorize_request(params, identity.apps, KNOWN_SCOPES, AUTHORIZE_ERRORS)
        if isinstance(checked, Response):
            return checked
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
            return redirect_to_client(checked[1], params, {"error": "invalid_request"})
        return checked

    def grant(params: dict[str, str], redirect_uri: str, tenant_ids: list[str]) -> Response:
        code = identity.issue_code(
            params["client_id"],
            redirect_uri,
            tuple(params.get("scope", "").split()),
            tenant_ids,
            params.get("code_challenge") or None,
            (params.get("code_challenge_method") or "plain")
            if params.get("code_challenge")
            else None,
        )
        return redirect_to_client(
            redirect_uri, params, {"code": code, "scope": params.get("scope", "")}
        )

    @router.get("/identity/connect/authorize", response_model=None)
    def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        checked = check_request(params)
        if isinstance(checked, Response):
            return checked
        app, redirect_uri = checked
        if identity.consent.auto:
            return grant(params, redirect_uri, identity.default_tenants())
        hidden = hidden_inputs(params)
        organisations = "".join(
            f"<li><label><input type='checkbox' name='tenant' value='{html.escape(tenant_id)}'"
            f"{' checked' if index == 0 else ''}> {html.escape(name)}</label></li>"
            for index, (tenant_id, name) in enumerate(identity.organisations().items())
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
        page = (
            "<!doctype html><html><head><title>Xero sandbox - authorise</title></head><body>"
            f"<h1>{html.escape(app.name)} wants access to your Xero organisations</h1>"
            f"<p>It will be able to:</p><ul>{scopes}</ul>"
            "<form method='post' action='/identity/connect/authorize'>"
            f"{hidden}<h2>Organisations</h2><ul>{organisations}</ul>"
            "<button type='submit' name='decision' value='allow'>Allow access</button> "
            "<button type='submit' name='decision' value='deny'>Cancel</button>"
            "</form></body></html>"
        )
        return HTMLResponse(page)

    @router.post("/identity/connect/authorize", response_model=None)
    async def consent(request: Request) -> Response:
        form = await read_form(request)
        params = {key: values[0] for key, values in form.items() if key not in ("tenant",)}
        params.pop("decision", None)
        checked = check_request(params)
        if isinstance(checked, Response):
            return checked
        _, redirect_uri = checked
        if form.get("decision", ["allow"])[0] != "allow":
            return redirect_to_client(redirect_uri, params, {"error": "access_denied"})
        known = identity.organisations()
        tenants = [tenant for tenant in form.get("tenant", []) if tenant in known]
        if not tenants:
            return AUTHORIZE_ERRORS.page("Select at least one organisation")
        return grant(params, redirect_uri, tenants)

    @router.post("/connect/token", response_model=None)
    async def token(request: Request) -> Response:
        return await token_endpoint(
            request,
            exchange_code=lambda client_id, client_secret, form: identity.exchange_code(
                client_id,
                client_secret,
                form.get("code"),
                form.get("redirect_uri"),
                form.get("code_verifier"),
            ),
            refresh=identity.refresh,
        )

    @router.post("/connect/revocation", response_model=None)
    async def revocation(request: Request) -> Response:
        form = await read_form_fields(request)
        client_id, client_secret = client_credentials(request, form)
        try:
            identity.revoke(client_id, client_secret, form.get("token"))
        except OAuthError as error:
            return error.response()
        return Response(status_code=200)

    @router.get("/connections", response_model=None)
    def connections(request: Request, authEventId: str | None = None) -> Response:  # noqa: N803
        try:
            access = identity.authenticate(request.headers.get("authorization"))
        except Unauthenticated as error:
            return unauthorized(error.detail)
        return JSONResponse(identity.list_connections(access.client_id, authEventId))

    @router.delete("/connections/{connection_id}", response_model=None)
    def disconnect(request: Request, connection_id: str) -> Response:
        try:
            access = identity.authenticate(request.headers.get("authorization"))
        except Unauthenticated as error:
            return unauthorized(error.detail)
        if not identity.delete_connection(access.client_id, connection_id):
            return Response(status_code=404)
        return Response(status_code=204)

    return router
