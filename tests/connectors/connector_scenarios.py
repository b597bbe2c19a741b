"""Steps the end-to-end tests of the platforms' connectors take alike, through spendsync's API:
reading the mapping options, pushing records and card spend, reading all reference data again,
and reading a sandbox's counters. Each test states what the platform must make of them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.reference.test_reference_data import wait_for_pulls


def push(
    api: TestClient,
    company: dict[str, Any],
    data_type: str,
    body: dict[str, Any],
    record_id: str | None = None,
) -> httpx.Response:
    """Create a record of `data_type` on the company's platform, or update `record_id`."""
    path = f"/companies/{company['id']}/connections/{company['connection']}/push/{data_type}"
    if record_id is None:
        return api.post(path, json=body, headers=company["headers"])
    return api.put(f"{path}/{record_id}", json=body, headers=company["headers"])


def push_options(api: TestClient, company: dict[str, Any], data_type: str) -> dict[str, Any]:
    """What the company's platform accepts in a push of `data_type` (Codat's push options)."""
    path = f"/companies/{company['id']}/connections/{company['connection']}/options/{data_type}"
    options: dict[str, Any] = api.get(path, headers=company["headers"]).json()
    return options


def create_rename_and_duplicate_a_supplier(
    api: TestClient, company: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Create "Card Provider Ltd" (GBP), rename it "Card Provider Limited", then try to create
    another "Pret A Manger" (the seeded books have one): the new supplier's id, and the
    platform's answer to the duplicate for the test to judge."""
    body = {"supplierName": "Card Provider Ltd", "defaultCurrency": "GBP", "status": "Active"}
    created = push(api, company, "suppliers", body).json()
    assert created["status"] == "Success", created
    supplier_id = created["changes"][0]["recordRef"]["id"]
    body = {"supplierName": "Card Provider Limited", "status": "Active"}
    renamed = push(api, company, "suppliers", body, supplier_id).json()
    assert renamed["status"] == "Success", renamed
    body = {"supplierName": "Pret A Manger", "status": "Active"}
    return supplier_id, push(api, company, "suppliers", body).json()


def read_all_again(api: TestClient, company: dict[str, Any]) -> None:
    """After the first read of the five kinds of reference data, a second read of all."""
    wait_for_pulls(api, company, 5)
    api.post(f"/companies/{company['id']}/data/all", headers=company["headers"])
    wait_for_pulls(api, company, 10)


def sandbox_counters(sandbox_url: str) -> dict[str, Any]:
    """What a sandbox's control plane has counted: requests, limit violations, faults met."""
    counters: dict[str, Any] = httpx.get(f"{sandbox_url}/_control/counters").json()
    return counters


def mapping_options(api: TestClient, company: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = api.get(
        f"/companies/{company['id']}/sync/expenses/mappingOptions", headers=company["headers"]
    ).json()
    return options


def account_ids(api: TestClient, company: dict[str, Any]) -> dict[str, str]:
    """The company's accounts in its mapping options: id by name."""
    return {account["name"]: account["id"] for account in mapping_options(api, company)["accounts"]}


def platform_ref(api: TestClient, company: dict[str, Any]) -> str:
    """The company's id on its platform (a Xero tenant, a QBO realm), as spendsync reports it."""
    info = api.get(f"/companies/{company['id']}/data/info", headers=company["headers"]).json()
    return str(info["accountingPlatformRef"])


def card_payment(card_id: str, *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A new GBP payment at Pret A Manger on 5 November 2026 on the card `card_id`, with
    `lines`, as one item of an expense-transactions request; `fields` add to or replace those."""
    return {
        "id": str(uuid.uuid4()),
        "type": "Payment",
        "issueDate": "2026-11-05",
        "currency": "GBP",
        "merchantName": "Pret A Manger",
        "bankAccountRef": {"id": card_id},
        "lines": list(lines),
        **fields,
    }


def push_card_payments(
    api: TestClient, company: dict[str, Any], batches: int, per_batch: int
) -> tuple[list[str], list[str]]:
    """`batches` syncs of `per_batch` card payments (3 GBP of travel each): the transaction ids
    and the sync ids."""
    accounts = account_ids(api, company)
    base = f"/companies/{company['id']}/sync/expenses"
    ids: list[str] = []
    syncs: list[str] = []
    for _ in range(batches):
        items = [
            card_payment(
                accounts["Company Card"],
                {"netAmount": 3, "accountRef": {"id": accounts["Travel - National"]}},
            )
            for _ in range(per_batch)
        ]
        ids += [item["id"] for item in items]
        response = api.post(f"{base}/expense-transactions", json=items, headers=company["headers"])
        syncs.append(response.json()["syncId"])
    return ids, syncs
