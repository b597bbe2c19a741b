"""A client sees only its own companies and connections: another client's ids are 404."""

from fastapi.testclient import TestClient

from tests.conftest import auth


def test_second_client_cannot_touch_first_clients_data(api: TestClient, new_key) -> None:
    owner = auth(new_key("owner").key)
    other = auth(new_key("other").key)
    company = api.post(
        "/companies", json={"name": "Owned", "tags": {"t": "1"}}, headers=owner
    ).json()
    cid = company["id"]
    conn = api.post(
        f"/companies/{cid}/connections", json={"platformKey": "gbol"}, headers=owner
    ).json()
    base = f"/companies/{cid}"
    conn_url = f"{base}/connections/{conn['id']}"

    attempts = [
        api.get(base, headers=other),
        api.put(base, json={"name": "Stolen"}, headers=other),
        api.patch(base, json={"name": "Stolen"}, headers=other),
        api.get(f"{base}/connections", headers=other),
        api.post(f"{base}/connections", json={"platformKey": "qhyg"}, headers=other),
        api.get(conn_url, headers=other),
        api.patch(conn_url, json={"status": "Unlinked"}, headers=other),
        api.delete(conn_url, headers=other),
        api.post(f"{base}/sync/expenses/connections/partnerExpense", headers=other),
        api.get(f"{base}/data/info", headers=other),
        api.delete(base, headers=other),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.method, response.request.url)
        assert response.json()["statusCode"] == 404

    listing = api.get("/companies", headers=other).json()
    assert listing["totalResults"] == 0
    assert (
        api.get("/companies", params={"query": f"id={cid}"}, headers=other).json()["results"] == []
    )
    assert api.get("/companies", params={"tags": "t=1"}, headers=other).json()["results"] == []

    # The owner's data is untouched.
    still = api.get(base, headers=owner).json()
    assert still["name"] == "Owned"
    assert [c["status"] for c in still["dataConnections"]] == ["PendingAuth"]


def test_a_client_with_two_keys_sees_the_same_companies(api: TestClient, new_key) -> None:
    first = new_key("first")
    second = new_key("second", client_id=first.client_id)
    cid = api.post("/companies", json={"name": "Shared"}, headers=auth(first.key)).json()["id"]
    assert api.get(f"/companies/{cid}", headers=auth(second.key)).status_code == 200
