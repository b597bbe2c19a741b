"""Shared fixtures. The suite runs on one database engine per run: `--db sqlite` (default) or
`--db postgresql` (a throwaway database on SPENDSYNC_TEST_PG_URL, default 127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from spendsync.app import create_app
from spendsync.clients.service import IssuedKey, issue_key
from spendsync.config import Settings
from spendsync.connectors.calls import close_platform_clients
from spendsync.db import migrate
from spendsync.db.base import Base
from spendsync.db.engine import make_engine, make_session_factory
from spendsync.jobs.engine import JobQueue, launch_worker, shutdown_worker

PG_ADMIN_URL = os.environ.get(
    "SPENDSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PUBLIC_URL = "http://spendsync.test"

# Property tests check behaviour, not speed (benchmarks measure that, in bench/): no per-example
# deadline, which a busy two-core machine running the suite's workers and sandboxes beside
# them can exceed (an example once took 397 ms against the default 200 ms).
hypothesis_settings.register_profile("spendsync", deadline=None)
hypothesis_settings.load_profile("spendsync")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("SPENDSYNC_TEST_DB", "sqlite"),
        help="Database engine the suite runs on.",
    )


@pytest.fixture(autouse=True)
def _platform_clients_closed() -> Iterator[None]:
    """Each test's platform connections are closed when it ends (its sandboxes go with it)."""
    yield
    close_platform_clients()


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, purpose: str
) -> Iterator[str]:
    """A new empty database of the run's engine: a SQLite file, or a PostgreSQL database that
    is dropped afterwards."""
    if request.config.getoption("--db") == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp(purpose) / f'{purpose}.sqlite'}"
        return
    name = f"spendsync_{purpose}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq_url(PG_ADMIN_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with throwaway_database(request, tmp_path_factory, "test") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated database, emptied after each test."""
    yield migrated_engine
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture(scope="session")
def jobs_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The job engine's system database, of the same kind as the main one."""
    with throwaway_database(request, tmp_path_factory, "jobs") as url:
        yield url


@pytest.fixture(scope="session")
def secret_key() -> str:
    """One key for the API and the worker, as every process of a deployment shares it."""
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def worker(
    database_url: str,
    jobs_database_url: str,
    migrated_engine: Engine,
    secret_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[JobQueue]:
    """One in-process DBOS worker for the whole run (DBOS is a per-process singleton)."""
    worker_settings = Settings(
        database_url=database_url,
        jobs_database_url=jobs_database_url,
        data_dir=tmp_path_factory.mktemp("worker"),
        public_url=PUBLIC_URL,
        queue_polling_interval_seconds=0.05,
        background_polling_interval_seconds=0.05,
        secret_key=secret_key,
        webhook_retry_schedule_seconds=[0.2, 0.3],
        webhook_timeout_seconds=2,
    )
    launch_worker(worker_settings, make_session_factory(migrated_engine))
    queue = JobQueue(worker_settings)
    yield queue
    queue.close()
    shutdown_worker()


@pytest.fixture
def settings(
    database_url: str, jobs_database_url: str, secret_key: str, tmp_path: Path
) -> Settings:
    return Settings(
        database_url=database_url,
        jobs_database_url=jobs_database_url,
        data_dir=tmp_path,
        public_url=PUBLIC_URL,
        secret_key=secret_key,
    )


@pytest.fixture
def api(settings: Settings, engine: Engine, worker: JobQueue) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, worker), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def new_key(engine: Engine):  # type: ignore[no-untyped-def]
    """Issue an API key for a new client: `new_key("acme")`."""
    factory = make_session_factory(engine)

    def issue(name: str = "client", client_id: str | None = None) -> IssuedKey:
        with factory() as session:
            issued = issue_key(session, name=name, client_id=client_id)
            session.commit()
            return issued

    return issue


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Basic {key}"}


# Fixtures shared by the engine tests (imported here so that pytest registers them).
from tests.fakes import company, ledger, receiver, stocked  # noqa: E402, F401
