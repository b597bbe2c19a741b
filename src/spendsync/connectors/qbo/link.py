"""Linking a connection to a QuickBooks Online company: the customer opens the connection's
linkUrl, consents at Intuit, and Intuit redirects back with a code, our `state` and the
company's `realmId`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.credentials import seal_credentials
from spendsync.connectors.errors import AuthFailure, NotSupported
from spendsync.connectors.qbo import auth
from spendsync.db.base import utcnow
from spendsync.link.models import AuthorizationRequest
from spendsync.secretbox import secret_box

STATE_LIFETIME = timedelta(minutes=30)


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
        state = secrets.token_urlsafe(32)
        session.add(
            AuthorizationRequest(
                state=state,
                client_id=connection.client_id,
                connection_id=connection.id,
                # Intuit's flow for confidential apps uses no PKCE verifier.
                sealed_code_verifier=secret_box(context.settings).seal(""),
            )
        )
        session.flush()
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
        request = session.get(AuthorizationRequest, params.get("state", ""))
        if request is None or utcnow() - request.created > STATE_LIFETIME:
            raise AuthFailure(
                "This authorization link has expired or was already used; start again."
            )
        connection = session.get(Connection, request.connection_id)
        session.delete(request)
        if connection is None:
            raise AuthFailure("The connection was deleted.")
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
