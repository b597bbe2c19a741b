"""How a customer links a connection to their ledger, per platform.

The customer opens the connection's `linkUrl`; spendsync asks the platform's linker where to send
them (the platform's consent page, or a page of our own for local ledgers); the platform sends
them back to `/link/callback/{callback_name}` with what the linker needs to finish.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.errors import AuthFailure
from spendsync.db.base import utcnow
from spendsync.link.models import AuthorizationRequest
from spendsync.secretbox import secret_box

STATE_LIFETIME = timedelta(minutes=30)


class Linker(Protocol):
    """One platform's link flow. Linkers raise NotSupported when this server is not set up
    for the platform (no app credentials) and AuthFailure when the platform refused."""

    callback_name: str
    """The last segment of the callback path: `/link/callback/{callback_name}`."""

    def start(self, session: Session, context: LedgerContext, connection: Connection) -> str:
        """Record what the callback will need and return the URL to send the customer to."""
        ...

    def complete(
        self, session: Session, context: LedgerContext, params: Mapping[str, str]
    ) -> Connection:
        """Finish from the callback's query parameters: store credentials, mark it Linked."""
        ...

    def revoke(self, context: LedgerContext, credentials: dict[str, Any]) -> None:
        """Tell the platform to forget the tokens in `credentials` (what `complete` sealed):
        the connection was unlinked or deleted. Raise a ConnectorError when the platform could
        not be told; the credentials are discarded either way."""
        ...


def open_authorization(
    session: Session, context: LedgerContext, connection: Connection, code_verifier: str = ""
) -> str:
    """Record a new link attempt for `connection` (with the PKCE verifier, sealed, where the
    platform uses one) and return its `state`, which the callback brings back."""
    state = secrets.token_urlsafe(32)
    session.add(
        AuthorizationRequest(
            state=state,
            client_id=connection.client_id,
            connection_id=connection.id,
            sealed_code_verifier=secret_box(context.settings).seal(code_verifier),
        )
    )
    session.flush()
    return state


def take_authorization(
    session: Session, context: LedgerContext, state: str
) -> tuple[Connection, str]:
    """The connection of the link attempt `state` and its PKCE verifier; the attempt is used
    up. AuthFailure when it is unknown, used, older than STATE_LIFETIME, or its connection is
    gone."""
    request = session.get(AuthorizationRequest, state)
    if request is None or utcnow() - request.created > STATE_LIFETIME:
        raise AuthFailure("This authorization link has expired or was already used; start again.")
    connection = session.get(Connection, request.connection_id)
    session.delete(request)
    if connection is None:
        raise AuthFailure("The connection was deleted.")
    return connection, secret_box(context.settings).open(request.sealed_code_verifier)
