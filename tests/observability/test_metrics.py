"""Prometheus metrics at /metrics: syncs by status, transactions per platform and outcome,
platform calls (latency, 429s) and the queues' depth and age."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from spendsync.companies.models import Company
from spendsync.config import Settings
from spendsync.connectors.metrics import observe_platform_call
from spendsync.db.base import utcnow
from spendsync.db.engine import make_session_factory
from spendsync.jobs.engine import JobQueue
from spendsync.reference.models import PullOperation, PullStatus
from spendsync.syncs.models import Sync
from tests.conftest import auth
from tests.connectors.conftest import running_xero_sandbox
from tests.connectors.xero_support import link, spendsync_on
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls


def scrape(api: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_sync_counts_by_status_and_its_transactions_by_platform_and_outcome(
    api: TestClient, company: dict[str, Any]
) -> None:
    before = scrape(api)
    sync_id = api.post(
        f"{base(company)}/expense-transactions",
        json=[payment(), payment(), payment(merchantName="REJECT")],
        headers=company["headers"],
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    syncs = "spendsync_syncs_completed_total"
    assert delta(syncs, sync_status_code="5130", status="PushError") == 1
    assert delta(syncs, sync_status_code="2000", status="Complete") == 0
    pushed = "spendsync_transactions_pushed_total"
    assert delta(pushed, platform="gbol", outcome="Completed") == 2
    assert delta(pushed, platform="gbol", outcome="PushError") == 1


def test_queue_depth_and_age_come_from_the_database(
    api: TestClient, company: dict[str, Any], engine: Engine
) -> None:
    empty = scrape(api)
    for queue in ("syncs", "pulls"):
        assert value(empty, "spendsync_queue_depth", queue=queue) == 0
        assert value(empty, "spendsync_queue_oldest_age_seconds", queue=queue) == 0

    # Accepted work no worker has finished (backdated, but younger than the sweep's 30 s).
    with make_session_factory(engine)() as session:
        client_id = session.scalar(select(Company.client_id).where(Company.id == company["id"]))
        now = utcnow()
        for age in (12, 3):
            session.add(
                Sync(
                    client_id=client_id,
                    company_id=company["id"],
                    created=now - timedelta(seconds=age),
                )
            )
        session.add(
            PullOperation(
                client_id=client_id,
                company_id=company["id"],
                connection_id=company["connection"],
                data_type="accounts",
                status=PullStatus.QUEUED,
                requested=now - timedelta(seconds=5),
            )
        )
        session.commit()

    samples = scrape(api)
    assert value(samples, "spendsync_queue_depth", queue="syncs") == 2
    assert 12 <= value(samples, "spendsync_queue_oldest_age_seconds", queue="syncs") < 30
    assert value(samples, "spendsync_queue_depth", queue="pulls") == 1
    assert 5 <= value(samples, "spendsync_queue_oldest_age_seconds", queue="pulls") < 30


def test_platform_calls_record_latency_outcome_and_429s(api: TestClient) -> None:
    answers = iter([429, 200, 503])
    transport = httpx.MockTransport(lambda _request: httpx.Response(next(answers)))
    before = scrape(api)
    with httpx.Client(transport=transport, base_url="http://platform.test") as http:
        for _ in range(3):
            observe_platform_call("test", http.get, "/Accounts")
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("spendsync_platform_rate_limited_total", platform="test") == 1
    assert delta("spendsync_platform_calls_total", platform="test", outcome="2xx") == 1
    assert delta("spendsync_platform_calls_total", platform="test", outcome="4xx") == 1
    assert delta("spendsync_platform_calls_total", platform="test", outcome="5xx") == 1
    assert delta("spendsync_platform_call_duration_seconds_count", platform="test") == 3


def test_the_xero_connector_reports_its_calls_and_the_429s_it_met(
    settings: Settings, engine: Engine, worker: JobQueue, new_key
) -> None:
    with (
        running_xero_sandbox() as sandbox_url,
        spendsync_on(settings, engine, worker, sandbox_url) as api,
    ):
        fault = {"kind": "rate_limit", "retry_after_seconds": 0.1}
        faults = {"method": "GET", "path": "/api.xro/2.0/Accounts", "faults": [fault]}
        assert httpx.post(f"{sandbox_url}/_control/faults", json=faults).status_code == 201
        before = scrape(api)
        company = link(api, auth(new_key().key))
        wait_for_pulls(api, company, 5)  # the reference data read after linking
        after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("spendsync_platform_rate_limited_total", platform="gbol") == 1
    assert delta("spendsync_platform_calls_total", platform="gbol", outcome="4xx") == 1
    assert delta("spendsync_platform_calls_total", platform="gbol", outcome="2xx") >= 5
    calls = delta("spendsync_platform_call_duration_seconds_count", platform="gbol")
    assert calls == delta("spendsync_platform_calls_total", platform="gbol", outcome="2xx") + 1
