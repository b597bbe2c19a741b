"""Fixtures of the contract suite: each scenario runs once per platform harness."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.connectors.reference import ReferenceDataType
from spendsync.jobs.engine import JobQueue
from tests.conftest import auth
from tests.connectors.contract.harness import Company, Harness
from tests.connectors.contract.harnesses import HARNESSES
from tests.reference.test_reference_data import wait_for_pulls


@pytest.fixture(params=sorted(HARNESSES))
def harness(
    request: pytest.FixtureRequest,
    settings: Settings,
    engine: Engine,
    worker: JobQueue,
    tmp_path: Path,
) -> Iterator[Harness]:
    with HARNESSES[request.param](settings, engine, worker, tmp_path) as opened:
        yield opened


@dataclass(frozen=True)
class Books:
    """A linked company whose reference data has been read, with the chart's ids."""

    company: Company
    accounts: dict[str, str]
    tax_rates: dict[str, str]
    suppliers: dict[str, str]


@pytest.fixture
def books(harness: Harness, new_key) -> Books:
    company = harness.link(auth(new_key().key))
    wait_for_pulls(harness.api, company.as_dict(), len(ReferenceDataType))
    options = harness.api.get(
        f"/companies/{company.id}/sync/expenses/mappingOptions", headers=company.headers
    ).json()
    suppliers = harness.api.get(
        f"/companies/{company.id}/data/suppliers",
        params={"pageSize": 5000},
        headers=company.headers,
    ).json()["results"]
    return Books(
        company=company,
        accounts={a["name"]: a["id"] for a in options["accounts"]},
        tax_rates={t["name"]: t["id"] for t in options["taxRates"]},
        suppliers={s["supplierName"]: s["id"] for s in suppliers},
    )
