"""Liveness and readiness. Alive: the process answers. Ready: it can do its work — the database
answers and its schema is the one this version needs, and, in a process that runs a worker, the
job engine's system database answers too."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from spendsync.db import migrate
from spendsync.jobs.engine import worker_context

CONNECT_TIMEOUT_SECONDS = 5


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(result == "ok" for result in self.checks.values())


@lru_cache(maxsize=1)
def _head_revisions() -> frozenset[str]:
    return frozenset(migrate.head_revisions())


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only (no SQL, no parameters)."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return f"unreachable: {lines[0][:200]}"


def _runs_worker() -> bool:
    try:
        worker_context()
    except RuntimeError:
        return False
    return True


def jobs_engine(url: str) -> Engine:
    """A pool-less engine for probing the job engine's system database (no idle connections)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = (
        {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        if parsed.get_backend_name() == "postgresql"
        else {}
    )
    return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)


def check_readiness(engine: Engine, jobs: Engine | None) -> Readiness:
    """`jobs` is probed only when this process runs a worker."""
    readiness = Readiness()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            readiness.checks["database"] = "ok"
            heads = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        readiness.checks["database"] = _reason(exc)
    else:
        expected = _head_revisions()
        readiness.checks["migrations"] = (
            "ok"
            if heads == expected
            else f"schema at {sorted(heads) or 'nothing'}, this version needs {sorted(expected)}"
            " (run `spendsync db upgrade`)"
        )
    if jobs is not None and _runs_worker():
        try:
            with jobs.connect() as connection:
                connection.execute(text("SELECT 1"))
            readiness.checks["jobs_database"] = "ok"
        except SQLAlchemyError as exc:
            readiness.checks["jobs_database"] = _reason(exc)
    return readiness
