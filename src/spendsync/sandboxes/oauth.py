"""OAuth 2.0 pieces every platform sandbox's identity endpoints share.

Vendors differ in paths, lifetimes, token rotation and error bodies (those stay in each
sandbox's ``oauth.py``); what they share is how an app is registered, how a confidential client
authenticates at the token endpoint (HTTP Basic or form fields, RFC 6749 §2.3.1), how form bodies
are read and how parameters are added to a redirect URI.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from fastapi import Request
from pydantic import BaseModel, Field


class AppRegistration(BaseModel):
    """An app as registered in the vendor's developer portal.

    ``client_secret=None`` registers a public (PKCE) app where the vendor supports one: it
    authenticates with the code verifier instead of a secret.
    """

    client_id: str
    client_secret: str | None = None
    redirect_uris: list[str] = Field(default_factory=list)
    name: str = "spendsync"


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
