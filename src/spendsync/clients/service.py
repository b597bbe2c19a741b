"""API keys: issued once, stored as SHA-256 digests, resolved from Codat's Basic header."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spendsync.clients.models import ApiKey, Client
from spendsync.errors import NotFound, Unauthorized

KEY_PREFIX = "ssk_"


@dataclass(frozen=True)
class IssuedKey:
    client_id: str
    key_id: str
    key: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def issue_key(session: Session, *, name: str, client_id: str | None = None) -> IssuedKey:
    """Issue a key for an existing client, or for a new client named `name`."""
    if client_id is None:
        client = Client(name=name)
        session.add(client)
        session.flush()
    else:
        found = session.get(Client, client_id)
        if found is None:
            raise NotFound(f"No client was found with ID {client_id}")
        client = found
    key = _new_key()
    api_key = ApiKey(client_id=client.id, name=name, key_hash=hash_key(key), key_prefix=key[:12])
    session.add(api_key)
    session.flush()
    return IssuedKey(client_id=client.id, key_id=api_key.id, key=key)


def credential_candidates(authorization: str | None) -> list[str]:
    """The key as sent after 'Basic ', and its base64 decoding when that is text.

    Codat documents `Basic base64(key)`; its SDKs send whatever string they are given.
    """
    if not authorization:
        return []
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "basic" or not credential or len(credential) > 512:
        return []
    candidates = [credential]
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded != credential:
        candidates.append(decoded)
    return candidates


def authenticate(session: Session, authorization: str | None) -> str:
    """Return the client id the key belongs to, or raise Unauthorized."""
    digests = [hash_key(c) for c in credential_candidates(authorization)]
    if digests:
        client_id = session.scalar(
            select(ApiKey.client_id).where(ApiKey.key_hash.in_(digests), ApiKey.revoked.is_(None))
        )
        if client_id is not None:
            return client_id
    raise Unauthorized("Unauthorized")
