from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spendsync.db.engine import make_session_factory
from spendsync.idempotency import store
from spendsync.idempotency.middleware import request_fingerprint
from tests.conftest import auth


def test_same_key_same_body_replays_without_a_second_company(api: TestClient, new_key) -> None:
    headers = {**auth(new_key().key), "Idempotency-Key": "create-acme-1"}
    first = api.post("/companies", json={"name": "Acme"}, headers=headers)
    second = api.post("/companies", json={"name": "Acme"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    listing = api.get("/companies", headers=auth(headers["Authorization"].split()[1])).json()
    assert listing["totalResults"] == 1


def test_same_key_different_body_is_422(api: TestClient, new_key) -> None:
    headers = {**auth(new_key().key), "Idempotency-Key": "k1"}
    assert api.post("/companies", json={"name": "Acme"}, headers=headers).status_code == 200
    response = api.post("/companies", json={"name": "Other"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["statusCode"] == 422


def test_keys_are_per_client(api: TestClient, new_key) -> None:
    a = {**auth(new_key("a").key), "Idempotency-Key": "same"}
    b = {**auth(new_key("b").key), "Idempotency-Key": "same"}
    first = api.post("/companies", json={"name": "Acme"}, headers=a).json()
    second = api.post("/companies", json={"name": "Acme"}, headers=b).json()
    assert first["id"] != second["id"]


def test_key_in_flight_is_409(api: TestClient, new_key, engine: Engine) -> None:
    issued = new_key()
    body = b'{"name": "Acme"}'
    factory = make_session_factory(engine)
    # Reserve the key as a concurrent request would, with the fingerprint of the same request.
    reservation = store.reserve(
        factory,
        client_id=issued.client_id,
        key="busy",
        fingerprint=request_fingerprint("POST", "/companies", b"", body),
        ttl=timedelta(hours=1),
    )
    assert reservation.outcome is store.Outcome.RESERVED
    response = api.post(
        "/companies",
        content=body,
        headers={**auth(issued.key), "Idempotency-Key": "busy", "Content-Type": "application/json"},
    )
    assert response.status_code == 409
    assert reservation.record_id is not None
    store.release(factory, reservation.record_id)
    retry = api.post(
        "/companies",
        content=body,
        headers={**auth(issued.key), "Idempotency-Key": "busy", "Content-Type": "application/json"},
    )
    assert retry.status_code == 200


def test_validation_errors_are_replayed_too(api: TestClient, new_key) -> None:
    headers = {**auth(new_key().key), "Idempotency-Key": "bad-1"}
    first = api.post("/companies", json={"name": ""}, headers=headers)
    second = api.post("/companies", json={"name": ""}, headers=headers)
    assert first.status_code == second.status_code == 400
    assert second.headers.get("idempotent-replayed") == "true"


def test_overlong_key_is_400(api: TestClient, new_key) -> None:
    headers = {**auth(new_key().key), "Idempotency-Key": "k" * 256}
    assert api.post("/companies", json={"name": "Acme"}, headers=headers).status_code == 400


def test_get_ignores_the_header(api: TestClient, new_key) -> None:
    headers = {**auth(new_key().key), "Idempotency-Key": "g"}
    assert api.get("/companies", headers=headers).status_code == 200
    assert api.get("/companies", headers=headers).headers.get("idempotent-replayed") is None


def test_expired_keys_are_purged(api: TestClient, new_key, engine: Engine) -> None:
    issued = new_key()
    headers = {**auth(issued.key), "Idempotency-Key": "old"}
    assert api.post("/companies", json={"name": "Acme"}, headers=headers).status_code == 200
    factory = make_session_factory(engine)
    assert store.purge_expired(factory, timedelta(hours=1)) == 0
    assert store.purge_expired(factory, timedelta(seconds=-1)) == 1
    # The key is free again: the same request now creates a second company.
    assert api.post("/companies", json={"name": "Acme"}, headers=headers).status_code == 200
    assert api.get("/companies", headers=auth(issued.key)).json()["totalResults"] == 2
