"""Engine construction: SQLite (WAL, foreign keys on) or any SQLAlchemy URL, e.g. PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger("spendsync.db")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def run_after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run `action()` once the session's current transaction has committed (never before):
    jobs are enqueued, and files deleted, only for rows that really exist or are really gone."""
    session.info.setdefault("after_commit", []).append(action)


def _run_after_commit(session: Session) -> None:
    actions = session.info.pop("after_commit", [])
    for action in actions:
        try:
            action()
        except Exception:
            # The rows are committed; what failed is only the hand-off (e.g. enqueueing a sync),
            # which the worker's sweep repeats. Log it loudly and let the request succeed.
            logger.exception("post-commit action failed; the periodic sweep will retry it")


def _forget_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that run `session.info["after_commit"]` callables once their commit succeeded."""
    # Every mapped class must be known before the first flush resolves foreign keys, whatever
    # subset of the code this process (an API, a worker, a CLI command) has imported.
    import spendsync.db.models  # noqa: F401

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "after_commit", _run_after_commit)
    event.listen(factory, "after_soft_rollback", lambda session, _tx: _forget_after_commit(session))
    return factory
