from fastapi.testclient import TestClient

from spendsync.connectors.registry import PLATFORMS, PlatformKey
from tests.conftest import auth

CODAT_KEYS = {
    "gbol": "Xero",
    "qhyg": "QuickBooks Online",
    "trji": "Dynamics 365 Business Central",
    "akxx": "Oracle NetSuite",
    "pqsw": "QuickBooks Desktop",
}


def test_lists_every_platform_with_codat_keys(api: TestClient, new_key) -> None:
    page = api.get("/integrations", headers=auth(new_key().key)).json()
    by_key = {i["key"]: i for i in page["results"]}
    assert page["totalResults"] == len(PLATFORMS)
    for key, name in CODAT_KEYS.items():
        assert by_key[key]["name"] == name
        assert by_key[key]["sourceType"] == "Accounting"
    assert by_key["bean"]["isOfflineConnector"] is True
    assert by_key["pexp"]["sourceType"] == "Expense"


def test_capability_matrix_follows_codat_support_tables(api: TestClient, new_key) -> None:
    headers = auth(new_key().key)
    xero = api.get("/integrations/gbol", headers=headers).json()
    kinds = {t["transactionType"]: t for t in xero["capabilities"]["transactionTypes"]}
    assert set(kinds) == {
        "Payment",
        "Refund",
        "Reward",
        "Chargeback",
        "Transfer",
        "Adjustment",
        "Reimbursable",
    }
    assert kinds["Payment"]["update"] is True
    assert kinds["Transfer"]["update"] is False
    qbd = api.get("/integrations/pqsw", headers=headers).json()
    assert not any(t["attachments"] for t in qbd["capabilities"]["transactionTypes"])
    assert xero["capabilities"]["connectorAvailable"] is True
    assert qbd["capabilities"]["connectorAvailable"] is False


def test_query_and_paging_over_integrations(api: TestClient, new_key) -> None:
    headers = auth(new_key().key)
    offline = api.get(
        "/integrations",
        params={"query": "isOfflineConnector=true", "orderBy": "-name"},
        headers=headers,
    ).json()
    assert [i["key"] for i in offline["results"]] == [
        PlatformKey.QUICKBOOKS_DESKTOP.value,
        PlatformKey.BEANCOUNT.value,
    ]
    quickbooks = api.get("/integrations", params={"query": "name~quickbooks"}, headers=headers)
    assert {i["key"] for i in quickbooks.json()["results"]} == {"qhyg", "pqsw"}
    page = api.get("/integrations", params={"pageSize": 2, "page": 2}, headers=headers).json()
    assert len(page["results"]) == 2
    assert page["totalResults"] == len(PLATFORMS)
    bad = api.get("/integrations", params={"query": "name=="}, headers=headers)
    assert bad.status_code == 400


def test_unknown_integration_is_404(api: TestClient, new_key) -> None:
    response = api.get("/integrations/zzzz", headers=auth(new_key().key))
    assert response.status_code == 404
    assert api.get("/integrations/gbol").status_code == 401
