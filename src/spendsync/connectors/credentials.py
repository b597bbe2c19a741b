"""A connection's platform credentials: sealed at rest, refreshed one process-thread at a time.

Refresh tokens rotate (Xero, QuickBooks): two workers refreshing at once would each spend the
same refresh token and one would be locked out. The lock is a row lock on the connection
(`SELECT … FOR UPDATE` on PostgreSQL, which spans processes) plus a per-connection thread lock
(SQLite serialises writers across processes by itself).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.errors import AuthFailure
from spendsync.secretbox import secret_box

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _thread_lock(connection_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(connection_id, threading.Lock())


class CredentialStore:
    def __init__(self, context: LedgerContext, connection_id: str) -> None:
        self._context = context
        self._connection_id = connection_id
        self._box = secret_box(context.settings)

    def load(self) -> dict[str, Any]:
        with self._context.session_factory() as session:
            connection = session.get(Connection, self._connection_id)
            if connection is None or not connection.sealed_credentials:
                raise AuthFailure("The connection holds no credentials; link it again.")
            loaded: dict[str, Any] = json.loads(self._box.open(connection.sealed_credentials))
            return loaded

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        with _thread_lock(self._connection_id), self._context.session_factory() as session:
            connection = session.scalar(
                select(Connection).where(Connection.id == self._connection_id).with_for_update()
            )
            if connection is None:
                raise AuthFailure("The connection was deleted.")
            yield connection
            session.commit()

    def update(self, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Re-read under the lock, let `change` decide (it returns new credentials, or None
        when another worker already refreshed them), and store the result."""
        with self._locked() as connection:
            current: dict[str, Any] = (
                json.loads(self._box.open(connection.sealed_credentials))
                if connection.sealed_credentials
                else {}
            )
            changed = change(current)
            if changed is None:
                return current
            connection.sealed_credentials = self._box.seal(json.dumps(changed))
            return changed


def seal_credentials(context: LedgerContext, credentials: dict[str, Any]) -> str:
    return secret_box(context.settings).seal(json.dumps(credentials))
