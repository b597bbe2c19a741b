"""Suppliers and customers written to the ledger, logged as push operations."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes import RecordingLedger


def test_create_update_and_log(api: TestClient, company, ledger: RecordingLedger) -> None:
    connection = f"/companies/{company['id']}/connections/{company['connection']}"
    created = api.post(
        f"{connection}/push/suppliers",
        json={
            "supplierName": "Card Provider Ltd",
            "emailAddress": "ap@cards.example",
            "status": "Active",
        },
        headers=company["headers"],
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["status"] == "Success"
    assert body["statusCode"] == 200
    assert body["dataType"] == "suppliers"
    assert body["changes"] == [
        {
            "type": "Created",
            "recordRef": {"id": "C-1", "dataType": "suppliers"},
            "attachmentId": None,
        }
    ]
    assert body["data"]["supplierName"] == "Card Provider Ltd"

    updated = api.put(
        f"{connection}/push/suppliers/C-1",
        json={"supplierName": "Card Provider Limited", "status": "Active"},
        headers=company["headers"],
    ).json()
    assert updated["changes"][0]["type"] == "Modified"
    assert ledger.saved_contacts[-1].name == "Card Provider Limited"

    refused = api.post(
        f"{connection}/push/customers", json={"customerName": "REJECT"}, headers=company["headers"]
    ).json()
    assert refused["status"] == "Failed"
    assert refused["statusCode"] == 400
    assert "already assigned" in refused["errorMessage"]
    assert refused["validation"]["errors"][0]["message"] == refused["errorMessage"]

    log = api.get(f"/companies/{company['id']}/push", headers=company["headers"]).json()
    assert log["totalResults"] == 3
    failed = api.get(
        f"/companies/{company['id']}/push",
        params={"query": "status=Failed"},
        headers=company["headers"],
    ).json()
    assert [p["pushOperationKey"] for p in failed["results"]] == [refused["pushOperationKey"]]
    one = api.get(
        f"/companies/{company['id']}/push/{body['pushOperationKey']}", headers=company["headers"]
    ).json()
    assert one["status"] == "Success"


def test_bad_bodies_and_other_clients(api: TestClient, company, new_key) -> None:
    from tests.conftest import auth

    connection = f"/companies/{company['id']}/connections/{company['connection']}"
    for bad in (
        {},
        {"supplierName": ""},
        {"supplierName": "x", "defaultCurrency": "POUNDS"},
        {"supplierName": "x", "status": "Gone"},
    ):
        assert (
            api.post(
                f"{connection}/push/suppliers", json=bad, headers=company["headers"]
            ).status_code
            == 400
        )
    other = auth(new_key("other").key)
    assert (
        api.post(
            f"{connection}/push/suppliers", json={"supplierName": "x"}, headers=other
        ).status_code
        == 404
    )
    assert api.get(f"/companies/{company['id']}/push", headers=other).status_code == 404
