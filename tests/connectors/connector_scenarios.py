"""Steps the end-to-end tests of each sandbox platform's connector take alike, through
spendsync's API: pushing records to the platform, reading all reference data again, and
reading the sandbox's counters. Each test states what the platform must make of them."""

from __future__ import annotations

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
