"""The shared control plane on the QBO sandbox: reset and seed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, caller, card_purchase, issue_token


def test_reset_restores_seed_grants_and_limits(
    client: TestClient, us: Qbo, sandbox: QboSandbox
) -> None:
    us("POST", "/purchase", json=card_purchase(sandbox))
    client.put("/_control/limits", json={"per_minute": 1})
    old = issue_token(client)
    assert client.post("/_control/reset").status_code == 200
    stale = client.get(
        f"/v3/company/{US_REALM_ID}/preferences",
        headers={"Authorization": f"Bearer {old['access_token']}"},
    )
    assert stale.status_code == 401  # grants are part of the data that is reset
    fresh = caller(client, US_REALM_ID)
    result = fresh("GET", "/query", params={"query": "select * from Purchase"}).json()
    assert result["QueryResponse"] == {}
    assert client.get("/_control/limits").json()["per_minute"] == 500


def test_seed_adds_and_updates_records(client: TestClient) -> None:
    seeded = client.post(
        "/_control/seed",
        json={
            "realmId": UK_REALM_ID,
            "exchangeRates": {"USD": 0.8},
            "entities": {
                "Vendor": [
                    {"DisplayName": "Swiss Air", "CurrencyRef": {"value": "EUR"}},
                    {"DisplayName": "Pret A Manger", "Active": False},
                ],
                "Account": [
                    {
                        "Name": "EUR Card",
                        "AccountType": "Credit Card",
                        "CurrencyRef": {"value": "EUR"},
                    }
                ],
            },
        },
    )
    assert seeded.status_code == 200, seeded.text
    assert len(seeded.json()["ids"]["Vendor"]) == 2
    uk = caller(client, UK_REALM_ID)
    vendors = uk("GET", "/query", params={"query": "select * from Vendor"}).json()
    names = {v["DisplayName"] for v in vendors["QueryResponse"]["Vendor"]}
    assert "Swiss Air" in names
    assert "Pret A Manger" not in names  # made inactive by the seed
    invalid = client.post(
        "/_control/seed",
        json={
            "realmId": US_REALM_ID,
            "entities": {"Vendor": [{"DisplayName": "Staples", "CurrencyRef": {"value": "EUR"}}]},
        },
    )
    assert invalid.status_code == 422
    unknown = client.post("/_control/seed", json={"realmId": "123"})
    assert unknown.status_code == 422


def test_realms_endpoint(client: TestClient) -> None:
    assert client.get("/_control/qbo/realms").json() == {
        US_REALM_ID: "Demo US Inc",
        UK_REALM_ID: "Demo UK Ltd",
    }


def test_copies_of_the_uk_company_are_separate_books(client: TestClient) -> None:
    added = client.post("/_control/qbo/companies", json={"names": ["Load Co 1", "Load Co 2"]})
    assert added.status_code == 201, added.text
    realms = {c["name"]: c["realmId"] for c in added.json()}
    assert len(set(realms.values()) | {US_REALM_ID, UK_REALM_ID}) == 4
    assert client.get("/_control/qbo/realms").json()[realms["Load Co 2"]] == "Load Co 2"
    first, second = realms["Load Co 1"], realms["Load Co 2"]
    headers = {
        "Authorization": f"Bearer {issue_token(client, first)['access_token']}",
        "Accept": "application/json",
    }
    vendor = client.post(
        f"/v3/company/{first}/vendor",
        json={"DisplayName": "Only In One", "CurrencyRef": {"value": "GBP"}},
        headers=headers,
    )
    assert vendor.status_code == 200, vendor.text
    info = client.get(f"/v3/company/{first}/companyinfo/1", headers=headers).json()
    assert info["CompanyInfo"]["CompanyName"] == "Load Co 1"
    other = {
        "Authorization": f"Bearer {issue_token(client, second)['access_token']}",
        "Accept": "application/json",
    }
    found = client.get(
        f"/v3/company/{second}/query",
        params={"query": "select * from Vendor where DisplayName = 'Only In One'"},
        headers=other,
    ).json()
    assert "Vendor" not in found["QueryResponse"]
    assert client.post("/_control/qbo/companies", json={"names": []}).status_code == 422
