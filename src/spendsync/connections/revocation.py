"""Giving access back: an unlinked or deleted connection's tokens are revoked at the platform.

The credentials are discarded in the same transaction as the unlink; the platform is told only
after that transaction commits, so a failed request never leaves a connection whose tokens are
already revoked. Revocation is best effort: a platform that cannot be reached is logged (its
tokens then expire on their own), and the unlink stands.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.errors import ConnectorError
from spendsync.connectors.registry import find_platform, registered_linker
from spendsync.db.engine import run_after_commit
from spendsync.secretbox import secret_box

logger = logging.getLogger(__name__)


def revoke_access(session: Session, context: LedgerContext, connection: Connection) -> None:
    """Forget the connection's credentials now; revoke them at the platform after commit."""
    if not connection.sealed_credentials:
        return
    platform = find_platform(connection.platform_key)
    linker = registered_linker(platform.key) if platform is not None else None
    credentials: dict[str, Any] = json.loads(
        secret_box(context.settings).open(connection.sealed_credentials)
    )
    connection.sealed_credentials = None
    if linker is None:
        return
    connection_id = connection.id

    def revoke() -> None:
        try:
            linker.revoke(context, credentials)
        except ConnectorError as exc:
            logger.warning(
                "could not revoke the platform access of connection %s: %s", connection_id, exc
            )

    run_after_commit(session, revoke)
