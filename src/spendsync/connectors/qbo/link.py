"""Linking a connection to a QuickBooks Online company: the customer opens the connection's
linkUrl, consents at Intuit, and Intuit redirects back with a code, our `state` and the
company's `realmId`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.credentials import seal_credentials
from spendsync.connectors.errors import AuthFailure, NotSupported
from spendsync.connectors.linking import open_authorization, take_authorization
from spendsync.connectors.qbo import auth


def qbo_app_or_refuse(context: LedgerContext) -> auth.QboApp:
    app = auth.qbo_app(context.settings)
    if app is None:
        raise NotSupported(
            "This server has no QuickBooks Online app configured (SPENDSYNC_QBO_CLIENT_ID and "
            "SPENDSYNC_QBO_CLIENT_SECRET)."
        )
    return app


class QboLinker:
    callback_name = auth.CALLBACK_NAME

    def start(self, session: Session, context: LedgerContext, connection: Connection) -> str:
        """Record a new authorization attempt and return Intuit's consent URL."""
        app = qbo_app_or_refuse(context)
        # Intuit's flow for confidential apps uses no PKCE verifier.
        state = open_authorization(session, context, connection)
        return auth.authorization_url(app, state)

    def complete(
        self, session: Session, context: LedgerContext, params: Mapping[str, str]
    ) -> Connection:
        """Exchange the code, keep the tokens and the realm sealed, mark the connection Linked."""
        if params.get("error"):
            raise AuthFailure(f"QuickBooks did not grant access: {params['error']}.")
        code, realm_id = params.get("code", ""), params.get("realmId", "")
        if not code or not realm_id:
            raise AuthFailure("Intuit sent no authorization code or company (realmId).")
        connection, _ = take_authorization(session, context, params.get("state", ""))
        token = auth.exchange_code(qbo_app_or_refuse(context), code)
        connection.sealed_credentials = seal_credentials(context, {**token, "realm_id": realm_id})
        connection.status = ConnectionStatus.LINKED
        connection.connection_info = {"realmId": realm_id}
        session.flush()
        return connection

    def revoke(self, context: LedgerContext, credentials: dict[str, Any]) -> None:
        token = credentials.get("refresh_token") or credentials.get("access_token")
        if token:
            auth.revoke(qbo_app_or_refuse(context), str(token))
