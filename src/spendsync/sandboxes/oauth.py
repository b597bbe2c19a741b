"""OAuth 2.0 pieces every platform sandbox's identity endpoints share.

Vendors differ in paths, lifetimes, token rotation and error bodies (those stay in each
sandbox's ``oauth.py``); what they share is how an app is registered, how a confidential client
authenticates at the token endpoint (HTTP Basic or form fields, RFC 6749 §2.3.1), how form bodies
are read and how parameters are added to a redirect URI, the checks an authorize request passes
before anything is redirected (RFC 6749 §4.1.2.1) and the token endpoint's grant dispatch. The
vendor's texts, scopes and extra rules (Xero's PKCE) are passed in by each sandbox.
"""

from __future__ import annotations

import base64
import html
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class AppRegistration(BaseModel):
    """An app as registered in the vendor's developer portal.

    ``client_secret=None`` registers a public (PKCE) app where the vendor supports one: it
    authenticates with the code verifier instead of a secret.
    """

    client_id: str
    client_secret: str | None = None
    redirect_uris: list[str] = Field(default_factory=list)
    name: str = "spendsync"


@dataclass(kw_only=True)
class IdentityProvider(ABC):
    """What every sandbox's identity service has: registered apps, a lock over its state and
    grants (codes, tokens, connections) that it can forget. Thread-safe."""

    apps: dict[str, AppRegistration] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reset_grants()

    @abstractmethod
    def reset_grants(self) -> None:
        """Forget every code, token and grant (the apps stay registered)."""

    def register(self, app: AppRegistration) -> AppRegistration:
        with self._lock:
            self.apps[app.client_id] = app
            return app


class OAuthError(Exception):
    """An RFC 6749 error from the token endpoint: ``{"error": …}`` with ``status_code``."""

    def __init__(self, error: str, status_code: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status_code = status_code

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error}, status_code=self.status_code)


class Unauthenticated(Exception):
    """A Bearer token that is missing, unknown, revoked or expired; ``detail`` is the vendor's
    text for it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to whatever query it already has."""
    parts = urlsplit(uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """The client id and secret from HTTP Basic auth, else from the form body."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id"), form.get("client_secret")


async def read_form(request: Request) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body, every value kept."""
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


async def read_form_fields(request: Request) -> dict[str, str]:
    """A form body with the first value of each field."""
    return {key: values[0] for key, values in (await read_form(request)).items()}


def redirect_to_client(
    redirect_uri: str, params: dict[str, str], answer: dict[str, str]
) -> RedirectResponse:
    """A 302 back to the client with ``answer``, then the request's ``state`` when it had one."""
    state = {"state": params["state"]} if params.get("state") else {}
    return RedirectResponse(with_query(redirect_uri, {**answer, **state}), status_code=302)


def hidden_inputs(params: dict[str, str]) -> str:
    """The authorize request's parameters as hidden fields, so a consent form posts them back."""
    return "".join(
        f"<input type='hidden' name='{html.escape(key)}' value='{html.escape(value)}'>"
        for key, value in params.items()
    )


@dataclass(frozen=True)
class AuthorizeErrors:
    """The vendor's texts for an authorize request that cannot be redirected back (unknown
    client, unregistered redirect URI, nothing to connect): a 400 HTML page instead."""

    title: str
    heading: str
    unknown_client: str
    unregistered_redirect_uri: str

    def page(self, message: str) -> HTMLResponse:
        return HTMLResponse(
            f"<!doctype html><title>{self.title}</title><h1>{self.heading}</h1>"
            f"<p id='error'>{html.escape(message)}</p>",
            status_code=400,
        )


def check_authorize_request(
    params: dict[str, str],
    apps: dict[str, AppRegistration],
    known_scopes: frozenset[str],
    errors: AuthorizeErrors,
) -> tuple[AppRegistration, str] | Response:
    """The app and redirect URI of an authorize request, or the answer that refuses it.

    Until the redirect URI is known to be registered, errors are pages; after that they are
    redirects carrying ``error`` (RFC 6749 §4.1.2.1).
    """
    app = apps.get(params.get("client_id", ""))
    if app is None:
        return errors.page(errors.unknown_client)
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return errors.page(errors.unregistered_redirect_uri)
    if params.get("response_type") != "code":
        return redirect_to_client(redirect_uri, params, {"error": "unsupported_response_type"})
    scopes = params.get("scope", "").split()
    if not scopes or any(scope not in known_scopes for scope in scopes):
        return redirect_to_client(redirect_uri, params, {"error": "invalid_scope"})
    return app, redirect_uri


TokenBody = dict[str, Any]


async def token_endpoint(
    request: Request,
    exchange_code: Callable[[str | None, str | None, dict[str, str]], TokenBody],
    refresh: Callable[[str | None, str | None, str | None], TokenBody],
) -> Response:
    """The token endpoint: run the client's grant and answer without caching.

    Both grants get the client id and secret first; ``exchange_code`` then gets the whole form,
    so each vendor reads the fields its rules need (Xero: ``code_verifier`` for PKCE).
    """
    form = await read_form_fields(request)
    client_id, client_secret = client_credentials(request, form)
    try:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            body = exchange_code(client_id, client_secret, form)
        elif grant_type == "refresh_token":
            body = refresh(client_id, client_secret, form.get("refresh_token"))
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as error:
        return error.response()
    return JSONResponse(body, headers=NO_STORE)
