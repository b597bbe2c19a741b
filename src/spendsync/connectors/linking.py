"""How a customer links a connection to their ledger, per platform.

The customer opens the connection's `linkUrl`; spendsync asks the platform's linker where to send
them (the platform's consent page, or a page of our own for local ledgers); the platform sends
them back to `/link/callback/{callback_name}` with what the linker needs to finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext


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
