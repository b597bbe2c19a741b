"""Giving spendsync a platform sandbox's app: the API under test and this process's worker
(which opens connectors with settings of its own) both get the same settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.app import create_app
from spendsync.config import Settings
from spendsync.jobs import engine as jobs_engine
from spendsync.jobs.engine import JobQueue


@contextmanager
def worker_settings(update: dict[str, Any]) -> Iterator[None]:
    """This process's worker runs with `update` (settings by field name) for the duration."""
    context = jobs_engine.worker_context()
    original = context.settings
    object.__setattr__(context, "settings", original.model_copy(update=update))
    try:
        yield
    finally:
        object.__setattr__(context, "settings", original)


@contextmanager
def spendsync_for_platform(
    settings: Settings, engine: Engine, worker: JobQueue, update: dict[str, Any]
) -> Iterator[TestClient]:
    """spendsync's API and this process's worker, both with `update` applied to their settings."""
    with worker_settings(update):
        app = create_app(settings.model_copy(update=update), engine, worker)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
