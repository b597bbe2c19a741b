"""/healthz and /readyz: unauthenticated, plain JSON, outside the Codat OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.db.engine import make_engine
from spendsync.jobs.engine import JobQueue
from tests.conftest import throwaway_database

# Nothing listens on port 1: connections are refused at once.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/spendsync"


def test_healthz_and_readyz_answer_without_credentials(api: TestClient) -> None:
    health = api.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = api.get("/readyz")
    assert ready.status_code == 200
    # This test process runs a worker (the session's DBOS), so the job database is checked too.
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "jobs_database": "ok"},
    }


def test_probes_and_metrics_stay_out_of_the_codat_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & paths.keys()


def test_readyz_is_503_naming_an_unreachable_database(settings: Settings, worker: JobQueue) -> None:
    down = make_engine(UNREACHABLE)
    broken = settings.model_copy(update={"jobs_database_url": UNREACHABLE})
    try:
        with TestClient(create_app(broken, down, worker)) as client:
            assert client.get("/healthz").status_code == 200
            response = client.get("/readyz")
    finally:
        down.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("unreachable: ")
    assert body["checks"]["jobs_database"].startswith("unreachable: ")
    assert "migrations" not in body["checks"]


@pytest.fixture
def unmigrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with throwaway_database(request, tmp_path_factory, "unmigrated") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_readyz_is_503_until_migrations_are_applied(
    settings: Settings, unmigrated_engine: Engine, worker: JobQueue
) -> None:
    with TestClient(create_app(settings, unmigrated_engine, worker)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["migrations"].startswith("schema at nothing, this version needs ")
    assert checks["migrations"].endswith("(run `spendsync db upgrade`)")
