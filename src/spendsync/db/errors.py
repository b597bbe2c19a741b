"""Telling a database that is away (retry later) from a statement that is wrong (a bug)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError


def database_unavailable(exc: BaseException) -> bool:
    """A lost, restarting or busy database, worth retrying; not a bug in a statement."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.OperationalError):
        message = str(exc.orig).lower()
        return any(s in message for s in ("locked", "unable to open", "disk i/o", "busy"))
    return True
