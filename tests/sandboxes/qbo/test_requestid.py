"""``requestid``: a repeated id returns the first response and does not do the work again."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID
from tests.sandboxes.qbo.conftest import Qbo, caller, card_purchase, fault_of


def _purchases(sandbox: QboSandbox, realm: str = US_REALM_ID) -> int:
    company = sandbox.backend.company(realm)
    assert company is not None
    return len(company.table("Purchase"))


def test_repeated_request_id_replays_without_creating_twice(us: Qbo, sandbox: QboSandbox) -> None:
    params = {"requestid": "0b9f6c1e-5d7a-4d0b-9a51-1f7c3e2a9d10"}
    first = us("POST", "/purchase", json=card_purchase(sandbox), params=params)
    second = us("POST", "/purchase", json=card_purchase(sandbox), params=params)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # the same response, byte for byte
    assert _purchases(sandbox) == 1
    changed = us("POST", "/purchase", json=card_purchase(sandbox, DocNumber="other"), params=params)
    assert changed.content == first.content  # QBO does not compare bodies: same id, same answer
    assert _purchases(sandbox) == 1
    fresh = us("POST", "/purchase", json=card_purchase(sandbox), params={"requestid": "another"})
    assert fresh.json()["Purchase"]["Id"] != first.json()["Purchase"]["Id"]


def test_errors_are_replayed_too(us: Qbo, sandbox: QboSandbox) -> None:
    params = {"requestid": "err-1"}
    bad = us("POST", "/purchase", json=card_purchase(sandbox, DocNumber="x" * 30), params=params)
    assert bad.status_code == 400
    again = us("POST", "/purchase", json=card_purchase(sandbox), params=params)
    assert (again.status_code, again.content) == (400, bad.content)


def test_request_ids_are_per_realm(client: TestClient, us: Qbo, sandbox: QboSandbox) -> None:
    uk = caller(client, UK_REALM_ID)
    params = {"requestid": "shared-id"}
    assert us("POST", "/purchase", json=card_purchase(sandbox), params=params).status_code == 200
    other = uk("POST", "/purchase", json={}, params=params)
    assert other.status_code == 400  # the UK company did the work (and refused it)
    assert _purchases(sandbox, UK_REALM_ID) == 0


def test_request_id_longer_than_50_characters_is_refused(us: Qbo, sandbox: QboSandbox) -> None:
    assert us(
        "POST", "/purchase", json=card_purchase(sandbox), params={"requestid": "r" * 50}
    ).is_success
    response = us("POST", "/purchase", json=card_purchase(sandbox), params={"requestid": "r" * 51})
    assert response.status_code == 400
    assert fault_of(response)["element"] == "requestid"
    assert _purchases(sandbox) == 1


def test_replayed_delete_and_update(us: Qbo, sandbox: QboSandbox) -> None:
    record = us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]
    update = {**record, "PrivateNote": "once"}
    first = us("POST", "/purchase", json=update, params={"requestid": "upd"})
    second = us("POST", "/purchase", json=update, params={"requestid": "upd"})
    assert first.json()["Purchase"]["SyncToken"] == "1"
    assert second.content == first.content  # not a 5010: the retry is answered from memory
