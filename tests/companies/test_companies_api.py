import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.test_auth import assert_envelope
from tests.conftest import PUBLIC_URL, auth


@pytest.fixture
def headers(new_key) -> dict[str, str]:
    return auth(new_key("acme-expenses").key)


def create(api: TestClient, headers: dict[str, str], **body) -> dict:
    response = api.post("/companies", json={"name": "Bank of Dave", **body}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_and_get_company(api: TestClient, headers) -> None:
    created = create(api, headers, description="early access", tags={"region": "uk"})
    assert uuid.UUID(created["id"])
    assert created["name"] == "Bank of Dave"
    assert created["description"] == "early access"
    assert created["tags"] == {"region": "uk"}
    assert created["redirect"] == f"{PUBLIC_URL}/link/companies/{created['id']}"
    assert created["dataConnections"] == []
    assert created["products"] == ["expenses"]
    assert created["created"].endswith("Z")
    fetched = api.get(f"/companies/{created['id']}", headers=headers).json()
    assert fetched == created


def test_replace_clears_omitted_fields_and_patch_keeps_them(api: TestClient, headers) -> None:
    company = create(api, headers, description="d", tags={"a": "1"})
    cid = company["id"]
    patched = api.patch(f"/companies/{cid}", json={"name": "New Name"}, headers=headers).json()
    assert (patched["name"], patched["description"], patched["tags"]) == (
        "New Name",
        "d",
        {"a": "1"},
    )
    patched = api.patch(f"/companies/{cid}", json={"tags": {"b": "2"}}, headers=headers).json()
    assert patched["tags"] == {"b": "2"}
    replaced = api.put(f"/companies/{cid}", json={"name": "Replaced"}, headers=headers).json()
    assert (replaced["name"], replaced["description"], replaced["tags"]) == ("Replaced", None, {})
    assert api.get(f"/companies/{cid}", headers=headers).json()["name"] == "Replaced"


def test_delete_removes_company_and_its_connections(api: TestClient, headers) -> None:
    cid = create(api, headers)["id"]
    conn = api.post(f"/companies/{cid}/connections", json={"platformKey": "gbol"}, headers=headers)
    assert conn.status_code == 200
    assert api.delete(f"/companies/{cid}", headers=headers).status_code == 204
    missing = api.get(f"/companies/{cid}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == f"No company was found with ID {cid}"
    assert api.get(f"/companies/{cid}/connections", headers=headers).status_code == 404
    assert api.delete(f"/companies/{cid}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "item_id"),
    [
        ({}, "Name"),
        ({"name": ""}, "Name"),
        ({"name": "Acme <script>"}, "Name"),
        ({"name": 12}, "Name"),
        ({"name": "Acme", "tags": {f"k{i}": "v" for i in range(11)}}, "Tags"),
        ({"name": "Acme", "tags": {"k" * 28: "v"}}, "Tags.Kkkkkkkkkkkkkkkkkkkkkkkkkkkk.[key]"),
        ({"name": "Acme", "tags": {"k": "v" * 101}}, "Tags.K"),
        ({"name": "Acme", "description": ["x"]}, "Description"),
    ],
)
def test_invalid_company_bodies_are_400_with_item_ids(api, headers, body, item_id) -> None:
    response = api.post("/companies", json=body, headers=headers)
    assert response.status_code == 400
    payload = response.json()
    assert_envelope(payload, 400)
    assert item_id in [e["itemId"] for e in payload["validation"]["errors"]]


def test_invalid_uuid_is_400(api: TestClient, headers) -> None:
    response = api.get("/companies/not-a-uuid", headers=headers)
    assert response.status_code == 400
    assert response.json()["validation"]["errors"][0]["itemId"] == "CompanyId"


def test_list_pages_with_links(api: TestClient, headers) -> None:
    ids = [create(api, headers, name=f"Company {i}")["id"] for i in range(5)]
    page = api.get("/companies", params={"page": 2, "pageSize": 2}, headers=headers).json()
    assert page["pageNumber"] == 2
    assert page["pageSize"] == 2
    assert page["totalResults"] == 5
    assert [c["id"] for c in page["results"]] == ids[2:4]
    assert page["_links"]["self"]["href"] == "/companies"
    assert page["_links"]["current"]["href"] == "/companies?page=2&pageSize=2"
    assert page["_links"]["next"]["href"] == "/companies?page=3&pageSize=2"
    assert page["_links"]["previous"]["href"] == "/companies?page=1&pageSize=2"
    last = api.get("/companies", params={"page": 3, "pageSize": 2}, headers=headers).json()
    assert "next" not in last["_links"]
    assert len(last["results"]) == 1


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"pageSize": 0}, {"pageSize": 5001}, {"page": "x"}]
)
def test_bad_paging_is_400(api: TestClient, headers, params) -> None:
    assert api.get("/companies", params=params, headers=headers).status_code == 400


def test_query_and_order_by(api: TestClient, headers) -> None:
    create(api, headers, name="Alpha Ltd")
    beta = create(api, headers, name="Beta Ltd")
    create(api, headers, name="Gamma plc")
    only_beta = api.get("/companies", params={"query": "name=beta ltd"}, headers=headers).json()
    assert [c["id"] for c in only_beta["results"]] == [beta["id"]]
    ltd_or = api.get(
        "/companies",
        params={"query": "name~ltd||name=Gamma plc", "orderBy": "-name"},
        headers=headers,
    ).json()
    assert [c["name"] for c in ltd_or["results"]] == ["Gamma plc", "Beta Ltd", "Alpha Ltd"]
    by_id = api.get("/companies", params={"query": f"id={beta['id']}"}, headers=headers).json()
    assert by_id["totalResults"] == 1
    after = api.get("/companies", params={"query": "created>2000-01-01"}, headers=headers).json()
    assert after["totalResults"] == 3
    before = api.get("/companies", params={"query": "created<2000-01-01"}, headers=headers).json()
    assert before["totalResults"] == 0


@pytest.mark.parametrize("query", ["name=", "&&", "name=a&&", "{name=a", "=a", "name==a"])
def test_malformed_query_is_400_with_codat_message(api: TestClient, headers, query) -> None:
    response = api.get("/companies", params={"query": query}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "Error parsing query - Malformed query."


def test_unknown_property_and_bad_value_are_400(api: TestClient, headers) -> None:
    response = api.get("/companies", params={"query": "isCompleted=true"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Error parsing query - Could not resolve property isCompleted on Company"
    )
    response = api.get("/companies", params={"query": "created>yesterday"}, headers=headers)
    assert response.status_code == 400
    response = api.get("/companies", params={"orderBy": "-nope"}, headers=headers)
    assert response.status_code == 400


def test_filter_by_tags(api: TestClient, headers) -> None:
    uk_fin = create(api, headers, name="A", tags={"region": "uk", "team": "invoice-finance"})
    create(api, headers, name="B", tags={"region": "uk", "team": "cards"})
    create(api, headers, name="C", tags={"region": "us"})
    found = api.get(
        "/companies", params={"tags": "region=uk && team=invoice-finance"}, headers=headers
    ).json()
    assert [c["id"] for c in found["results"]] == [uk_fin["id"]]
    not_uk = api.get("/companies", params={"tags": "region!=uk"}, headers=headers).json()
    assert [c["name"] for c in not_uk["results"]] == ["C"]
    contains = api.get("/companies", params={"tags": "team~fin"}, headers=headers).json()
    assert [c["name"] for c in contains["results"]] == ["A"]
    bad = api.get("/companies", params={"tags": "region>uk"}, headers=headers)
    assert bad.status_code == 400
