"""Structured logs: one JSON object per line, carrying the request's correlation id, and the
sync and company while a sync runs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.observability.logs import make_handler
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.live_server import running_server


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What spendsync's loggers write, as a JSON log handler formats it."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    spendsync_logger = logging.getLogger("spendsync")
    previous = spendsync_logger.level
    spendsync_logger.addHandler(handler)
    spendsync_logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        spendsync_logger.removeHandler(handler)
        spendsync_logger.setLevel(previous)


def parsed(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.live
def test_a_json_server_logs_one_object_per_line_with_the_correlation_id(
    database_url: str, jobs_database_url: str, engine: Engine, tmp_path: Path
) -> None:
    with running_server(
        database_url,
        tmp_path,
        jobs_database_url=jobs_database_url,
        worker=False,
        extra_env={"SPENDSYNC_LOG_FORMAT": "json", "SPENDSYNC_LOG_LEVEL": "INFO"},
    ) as url:
        response = httpx.get(f"{url}/companies")
    assert response.status_code == 401
    correlation_id = response.headers["X-Correlation-Id"]

    lines = parsed((tmp_path / "server.log").read_text())  # every line is JSON
    assert lines
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "correlation_id"} <= line.keys()
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [line["correlation_id"] for line in access if "/companies" in line["message"]] == [
        correlation_id
    ]
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)


def test_sync_log_lines_name_the_sync_and_the_company(
    api: TestClient, company: dict[str, Any], json_lines: io.StringIO
) -> None:
    sync_id = api.post(
        f"{base(company)}/expense-transactions",
        json=[payment(), payment(merchantName="REJECT")],
        headers=company["headers"],
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)

    sync_lines = [line for line in parsed(json_lines.getvalue()) if line.get("sync_id") == sync_id]
    messages = [line["message"] for line in sync_lines]
    assert messages[0].startswith("sync started: 2 transactions to gbol")
    assert "batch pushed to gbol: 1 completed, 1 refused" in messages
    assert messages[-1] == "sync finished: 5130 PushError"
    assert {line["company_id"] for line in sync_lines} == {company["id"]}
    assert {line["logger"] for line in sync_lines} == {"spendsync.syncs"}
