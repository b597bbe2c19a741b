"""Linking a connection to a Xero organisation: the customer opens the connection's linkUrl,
consents at Xero, and Xero redirects back here with a code for this connection's `state`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.common.security import generate_token
from sqlalchemy.orm import Session

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.credentials import seal_credentials
from spendsync.connectors.errors import AuthFailure, NotSupported
from spendsync.connectors.linking import open_authorization, take_authorization
from spendsync.connectors.xero import auth


def _app(context: LedgerContext) -> auth.XeroApp:
    app = auth.xero_app(context.settings)
    if app is None:
        raise NotSupported(
            "This server has no Xero app configured (SPENDSYNC_XERO_CLIENT_ID and "
            "SPENDSYNC_XERO_CLIENT_SECRET)."
        )
    return app


class XeroLinker:
    callback_name = "xero"

    def start(self, session: Session, context: LedgerContext, connection: Connection) -> str:
        return start(session, context, connection)

    def complete(
        self, session: Session, context: LedgerContext, params: Mapping[str, str]
    ) -> Connection:
        code = params.get("code", "")
        if not code:
            raise AuthFailure("Xero sent no authorization code.")
        return complete(session, context, params.get("state", ""), code)

    def revoke(self, context: LedgerContext, credentials: dict[str, Any]) -> None:
        token = credentials.get("refresh_token")
        if token:
            auth.revoke(_app(context), str(token))


def start(session: Session, context: LedgerContext, connection: Connection) -> str:
    """Record a new authorization attempt and return Xero's consent URL."""
    app = _app(context)
    verifier = generate_token(64)
    state = open_authorization(session, context, connection, verifier)
    return auth.authorization_url(app, state, verifier)


def complete(session: Session, context: LedgerContext, state: str, code: str) -> Connection:
    """Exchange the code, find the organisation, keep the tokens sealed, mark Linked."""
    connection, verifier = take_authorization(session, context, state)
    app = _app(context)
    token = auth.exchange_code(app, code, verifier)
    organisations = auth.tenants(app, token["access_token"])
    if not organisations:
        raise AuthFailure("No Xero organisation was authorised.")
    organisation = organisations[0]
    connection.sealed_credentials = seal_credentials(
        context,
        {
            **token,
            "tenant_id": organisation["tenantId"],
            "tenant_name": organisation.get("tenantName"),
            "xero_connection_id": organisation.get("id"),
        },
    )
    connection.status = ConnectionStatus.LINKED
    connection.connection_info = {
        "organisation": organisation.get("tenantName"),
        "tenantId": organisation["tenantId"],
    }
    session.flush()
    return connection
