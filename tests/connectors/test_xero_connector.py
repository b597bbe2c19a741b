"""The Xero connector end to end against the Xero sandbox over a real loopback socket: the
OAuth redirect flow from the connection's linkUrl, reference data, every write, an update,
an attachment — checked in the sandbox's own Xero API afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.config import Settings
from spendsync.jobs.engine import JobQueue
from spendsync.sandboxes.control import RateLimits
from spendsync.sandboxes.xero.seed import US_TENANT_ID
from tests.conftest import auth
from tests.connectors.conftest import CLIENT_ID, running_xero_sandbox
from tests.connectors.connector_scenarios import (
    account_ids,
    card_payment,
    create_rename_and_duplicate_a_supplier,
    mapping_options,
    platform_ref,
    push,
    push_options,
    read_all_again,
    sandbox_counters,
)
from tests.connectors.xero_support import XeroBooks, link, spendsync_on
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls


@pytest.fixture
def xero_api(
    settings: Settings, engine: Engine, worker: JobQueue, sandbox_url: str
) -> Iterator[TestClient]:
    with spendsync_on(settings, engine, worker, sandbox_url) as client:
        yield client


def test_link_read_write_update_attach(xero_api: TestClient, new_key, sandbox_url: str) -> None:
    api = xero_api
    company = link(api, auth(new_key().key))
    wait_for_pulls(api, company, 5)
    info = api.get(f"/companies/{company['id']}/data/info", headers=company["headers"]).json()
    assert info["baseCurrency"] == "GBP"
    options = mapping_options(api, company)
    accounts = {a["name"]: a for a in options["accounts"]}
    assert accounts["Company Card"]["isBankAccount"] is True
    assert "Old Expenses" not in accounts
    travel = accounts["Travel - National"]["id"]
    card = accounts["Company Card"]["id"]
    suppliers = api.get(
        f"/companies/{company['id']}/data/suppliers",
        params={"query": "supplierName=Pret A Manger"},
        headers=company["headers"],
    ).json()
    pret = suppliers["results"][0]["id"]
    base = f"/companies/{company['id']}/sync/expenses"
    line = {
        "netAmount": 10,
        "taxAmount": 2,
        "taxRateRef": {"id": "INPUT2"},
        "accountRef": {"id": travel},
    }
    items = [card_payment(card, line, issueDate="2026-11-02", contactRef={"id": pret})]
    sync_id = api.post(
        f"{base}/expense-transactions", json=items, headers=company["headers"]
    ).json()["syncId"]
    status = wait_for_sync(api, company, sync_id)
    transactions = api.get(
        f"{base}/syncs/{sync_id}/transactions", headers=company["headers"]
    ).json()["results"]
    assert status["syncStatusCode"] == 2000, transactions
    assert transactions[0]["status"] == "Completed"


def _ready(api: TestClient, new_key: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A linked company with its reference data read; returns it and useful ids."""
    company = link(api, auth(new_key().key))
    wait_for_pulls(api, company, 5)
    accounts = account_ids(api, company)
    return company, {"card": accounts["Company Card"], "travel": accounts["Travel - National"]}


def _payment(ids: dict[str, str]) -> dict[str, Any]:
    line = {
        "netAmount": 7,
        "taxAmount": 1.4,
        "taxRateRef": {"id": "INPUT2"},
        "accountRef": {"id": ids["travel"]},
    }
    return card_payment(ids["card"], line, issueDate="2026-11-04")


def test_rate_limits_server_errors_and_expired_tokens_are_ridden_out(
    xero_api: TestClient, new_key, sandbox_url: str
) -> None:
    company, ids = _ready(xero_api, new_key)
    faults = {
        "method": "PUT",
        "path": "/api.xro/2.0/BankTransactions",
        "faults": [
            {"kind": "rate_limit", "retry_after_seconds": 0.2},
            {"kind": "error", "status": 503},
            {"kind": "expired_token"},
            {"kind": "rate_limit", "retry_after_seconds": 0.1, "problem": "concurrent"},
        ],
    }
    assert httpx.post(f"{sandbox_url}/_control/faults", json=faults).status_code == 201
    items = [_payment(ids) for _ in range(3)]
    base = f"/companies/{company['id']}/sync/expenses"
    sync_id = xero_api.post(
        f"{base}/expense-transactions", json=items, headers=company["headers"]
    ).json()["syncId"]
    assert wait_for_sync(xero_api, company, sync_id)["syncStatusCode"] == 2000
    # Every fault was met, and the three payments exist exactly once.
    books = XeroBooks(sandbox_url, platform_ref(xero_api, company))
    assert len(books.get("BankTransactions")) == 3
    counters = sandbox_counters(sandbox_url)
    assert counters["injectedFaults"] == {"rate_limit": 2, "error": 1, "expired_token": 1}


@pytest.mark.parametrize(
    ("throttled", "violations", "scope"),
    [(False, True, "process"), (True, False, "process"), (True, False, "database")],
)
def test_calls_stay_inside_the_tenant_limits(
    settings: Settings,
    engine: Engine,
    worker: JobQueue,
    new_key,
    throttled: bool,
    violations: bool,
    scope: str,
) -> None:
    # Xero's limits on a scaled clock ("a minute" = 1 s); the sandbox counts violations but
    # serves them, so both runs do the same work.
    limits = RateLimits(per_minute=3, minute_seconds=1.0, concurrent=1, enforce=False)
    ours = (
        {"xero_calls_per_minute": 2, "xero_minute_seconds": 1.0, "xero_max_concurrent_calls": 1}
        if throttled
        else {"xero_calls_per_minute": 100_000, "xero_max_concurrent_calls": 100}
    ) | {"throttle_scope": scope}
    with (
        running_xero_sandbox(rate_limits=limits) as url,
        spendsync_on(settings, engine, worker, url, **ours) as api,
    ):
        read_all_again(api, link(api, auth(new_key().key)))
        counters = sandbox_counters(url)
    assert counters["requestsTotal"] > 12
    assert (counters["limitViolations"] > 0) is violations, counters


def test_suppliers_are_created_and_updated_in_xero(
    xero_api: TestClient, new_key, sandbox_url: str
) -> None:
    company = link(xero_api, auth(new_key().key))
    supplier_id, duplicate = create_rename_and_duplicate_a_supplier(xero_api, company)
    assert duplicate["status"] == "Failed"  # Xero's own rule: contact names are unique
    assert "Pret A Manger" in duplicate["errorMessage"]
    books = XeroBooks(sandbox_url, platform_ref(xero_api, company))
    contact = books.read(f"Contacts/{supplier_id}")["Contacts"][0]
    assert contact["Name"] == "Card Provider Limited"


@pytest.mark.parametrize("how", ["unlink", "delete connection", "delete company"])
def test_unlinking_revokes_the_access_at_xero(
    xero_api: TestClient, new_key, sandbox_url: str, how: str
) -> None:
    company = link(xero_api, auth(new_key().key))
    connections = f"{sandbox_url}/_control/xero/connections"
    assert len(httpx.get(connections, params={"client_id": CLIENT_ID}).json()) == 1
    path = f"/companies/{company['id']}/connections/{company['connection']}"
    if how == "unlink":
        response = xero_api.patch(path, json={"status": "Unlinked"}, headers=company["headers"])
        assert response.json()["status"] == "Unlinked"
    elif how == "delete connection":
        response = xero_api.delete(path, headers=company["headers"])
    else:
        response = xero_api.delete(f"/companies/{company['id']}", headers=company["headers"])
    assert response.status_code in (200, 204), response.text
    # The organisation no longer lists spendsync as a connected app.
    assert httpx.get(connections, params={"client_id": CLIENT_ID}).json() == []


def test_accounts_and_card_accounts_are_created_in_xero(xero_api: TestClient, new_key) -> None:
    company = link(xero_api, auth(new_key().key))
    wait_for_pulls(xero_api, company, 5)
    model = push_options(xero_api, company, "chartOfAccounts")
    categories = [o["value"] for o in model["properties"]["fullyQualifiedCategory"]["options"]]
    assert "Expense.Overheads" in categories
    assert model["properties"]["nominalCode"]["required"] is True

    # spendsync checks the platform's rules first, all at once.
    refused = push(
        xero_api,
        company,
        "accounts",
        {"name": "Card Fees", "fullyQualifiedCategory": "Expense.Nope"},
    )
    assert refused.status_code == 400
    assert {e["itemId"] for e in refused.json()["validation"]["errors"]} == {
        "FullyQualifiedCategory",
        "NominalCode",
    }

    fees = {
        "nominalCode": "4100",
        "name": "Card Fees",
        "fullyQualifiedCategory": "Expense.Overheads",
    }
    created = push(xero_api, company, "accounts", fees).json()
    assert created["status"] == "Success", created
    assert created["data"]["fullyQualifiedCategory"] == "Expense.Overheads"
    duplicate = push(xero_api, company, "accounts", fees | {"name": "Card Fees 2"}).json()
    assert duplicate["status"] == "Failed"
    assert "unique Code" in duplicate["errorMessage"]  # Xero's own words

    card = push(
        xero_api,
        company,
        "bankAccounts",
        {
            "accountName": "Expensely Card",
            "accountType": "Credit",
            "accountNumber": "4111",
            "currency": "GBP",
        },
    ).json()
    assert card["status"] == "Success", card
    assert card["data"]["accountType"] == "Credit"
    # Both are usable at once: the mapping options know them before the next read.
    options = mapping_options(xero_api, company)
    accounts = {a["name"]: a for a in options["accounts"]}
    assert accounts["Card Fees"]["id"] == created["data"]["id"]
    assert accounts["Expensely Card"]["isBankAccount"] is True
    pushes = xero_api.get(f"/companies/{company['id']}/push", headers=company["headers"]).json()
    assert {p["dataType"] for p in pushes["results"]} == {"chartOfAccounts", "bankAccounts"}


def test_each_consent_links_the_organisation_it_chose(
    xero_api: TestClient, new_key, sandbox_url: str
) -> None:
    # The same Xero user connects a second organisation to the app later: Xero's /connections
    # then lists both, and only the access token's authentication event tells them apart.
    uk = link(xero_api, auth(new_key().key))
    httpx.put(
        f"{sandbox_url}/_control/xero/consent",
        json={"auto": True, "tenant_ids": [US_TENANT_ID]},
    ).raise_for_status()
    us = link(xero_api, auth(new_key().key))
    currencies = [
        xero_api.get(f"/companies/{c['id']}/data/info", headers=c["headers"]).json()["baseCurrency"]
        for c in (uk, us)
    ]
    assert currencies == ["GBP", "USD"]


def test_the_first_write_reads_no_accounts_the_reference_read_gave_them(
    xero_api: TestClient, new_key, sandbox_url: str
) -> None:
    """Linking reads the chart of accounts; the first write uses those accounts' codes instead
    of reading every account again (one call more at the start of a company's first sync)."""
    company, ids = _ready(xero_api, new_key)
    assert httpx.delete(f"{sandbox_url}/_control/counters").status_code == 204
    created = xero_api.post(
        f"/companies/{company['id']}/sync/expenses/expense-transactions",
        json=[_payment(ids)],
        headers=company["headers"],
    )
    assert created.status_code == 200, created.text
    assert wait_for_sync(xero_api, company, created.json()["syncId"])["syncStatusCode"] == 2000
    assert sandbox_counters(sandbox_url)["requestsTotal"] == 1  # the PUT BankTransactions


def test_a_sync_makes_one_call_per_batch_and_finds_accounts_added_since(
    xero_api: TestClient, new_key, sandbox_url: str
) -> None:
    """The organisation, its tracking options and account codes are read once, not for every
    batch; an account added to the books afterwards is still found by the next write."""
    company, ids = _ready(xero_api, new_key)
    base = f"/companies/{company['id']}/sync/expenses"

    def synced(endpoint: str, items: list[dict[str, Any]]) -> None:
        created = xero_api.post(f"{base}/{endpoint}", json=items, headers=company["headers"])
        assert created.status_code == 200, created.text
        status = wait_for_sync(xero_api, company, created.json()["syncId"])
        assert status["syncStatusCode"] == 2000, status

    def moved(to_id: str) -> dict[str, Any]:
        lines = [
            {"amount": 15, "accountRef": {"id": to_id}},
            {"amount": -15, "accountRef": {"id": ids["travel"]}},
        ]
        return {"id": str(uuid.uuid4()), "date": "2026-11-30", "currency": "GBP", "lines": lines}

    synced("expense-transactions", [_payment(ids)])
    synced("adjustment-transactions", [moved(account_ids(xero_api, company)["General Expenses"])])
    assert httpx.delete(f"{sandbox_url}/_control/counters").status_code == 204
    synced("expense-transactions", [_payment(ids), _payment(ids)])
    assert sandbox_counters(sandbox_url)["requestsTotal"] == 1  # the PUT BankTransactions

    seeded = httpx.post(
        f"{sandbox_url}/_control/seed",
        json={"accounts": [{"Code": "4990", "Name": "Sundry Costs", "Type": "OVERHEADS"}]},
    )
    assert seeded.status_code == 200, seeded.text
    queued = xero_api.post(
        f"/companies/{company['id']}/data/queue/chartOfAccounts", headers=company["headers"]
    )
    assert queued.status_code == 200, queued.text
    deadline = time.monotonic() + 30
    while "Sundry Costs" not in (accounts := account_ids(xero_api, company)):
        assert time.monotonic() < deadline, accounts
        time.sleep(0.1)
    synced("adjustment-transactions", [moved(accounts["Sundry Costs"])])
    books = XeroBooks(sandbox_url, platform_ref(xero_api, company))
    codes = [
        sorted(line["AccountCode"] for line in j["JournalLines"])
        for j in books.get("ManualJournals")
    ]
    assert sorted(codes) == [["429", "493"], ["493", "4990"]]
