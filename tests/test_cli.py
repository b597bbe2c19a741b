import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spendsync.app import create_app
from spendsync.cli import app
from spendsync.config import Settings, get_settings


@pytest.fixture
def fresh_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir of its own: the embedded default, configured only through the environment."""
    monkeypatch.setenv("SPENDSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SPENDSYNC_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_db_upgrade_then_apikey_create_gives_a_working_key(fresh_sqlite: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (fresh_sqlite / "spendsync.db").exists()

    result = runner.invoke(app, ["apikey", "create", "--name", "acme"])
    assert result.exit_code == 0, result.output
    key = re.search(r"(ssk_[A-Za-z0-9_\-]+)", result.output)
    assert key is not None

    listed = runner.invoke(app, ["apikey", "list"])
    assert "acme" in listed.output
    assert key.group(1) not in listed.output  # only the prefix is ever shown again

    assert _status_with_key(key.group(1)) == 200


def _status_with_key(key: str) -> int:
    api = create_app(Settings())
    try:
        with TestClient(api) as client:
            return client.get("/companies", headers={"Authorization": f"Basic {key}"}).status_code
    finally:
        api.state.engine.dispose()


def test_apikey_revoke(fresh_sqlite: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["apikey", "create", "--name", "acme"])
    key = re.search(r"(ssk_[A-Za-z0-9_\-]+)", created.output)
    assert key is not None
    from sqlalchemy import select

    from spendsync.clients.models import ApiKey
    from spendsync.db.engine import make_engine, make_session_factory

    engine = make_engine(Settings().resolved_database_url())
    with make_session_factory(engine)() as session:
        key_id = session.scalars(select(ApiKey.id)).one()
    engine.dispose()
    assert runner.invoke(app, ["apikey", "revoke", key_id]).exit_code == 0
    assert _status_with_key(key.group(1)) == 401
    assert runner.invoke(app, ["apikey", "revoke", "no-such-key"]).exit_code == 1


def test_worker_runs_with_the_concurrency_it_is_given(fresh_sqlite: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    env = {
        **os.environ,
        "SPENDSYNC_DATA_DIR": str(fresh_sqlite),
        "SPENDSYNC_LOG_LEVEL": "INFO",
    }
    env.pop("SPENDSYNC_DATABASE_URL", None)
    log = fresh_sqlite.parent / "worker.log"
    fresh_sqlite.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        worker = subprocess.Popen(
            [sys.executable, "-m", "spendsync", "worker", "--concurrency", "3"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "job worker started" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert "job worker started (concurrency 3)" in log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert worker.returncode == 0, log.read_text()
