import base64

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from spendsync.clients.models import ApiKey
from spendsync.db.engine import make_session_factory
from tests.conftest import auth


def assert_envelope(body: dict, status: int) -> None:
    assert body["statusCode"] == status
    assert body["service"]
    assert body["error"]
    assert body["correlationId"]
    assert "canBeRetried" in body


def test_missing_key_is_401_in_codat_envelope(api: TestClient) -> None:
    response = api.get("/companies")
    assert response.status_code == 401
    assert_envelope(response.json(), 401)
    assert response.headers["x-correlation-id"] == response.json()["correlationId"]


def test_wrong_key_and_wrong_scheme_are_401(api: TestClient, new_key) -> None:
    issued = new_key()
    for header in (
        "Basic ssk_not-a-real-key",
        f"Bearer {issued.key}",
        issued.key,
        "Basic ",
        "Basic " + "x" * 5000,
    ):
        response = api.get("/companies", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert_envelope(response.json(), 401)


def test_raw_key_and_base64_key_both_authenticate(api: TestClient, new_key) -> None:
    issued = new_key()
    encoded = base64.b64encode(issued.key.encode()).decode()
    assert api.get("/companies", headers=auth(issued.key)).status_code == 200
    assert api.get("/companies", headers=auth(encoded)).status_code == 200


def test_keys_are_stored_only_as_hashes(engine: Engine, new_key) -> None:
    issued = new_key()
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(ApiKey)).one()
    assert issued.key not in (stored.key_hash, stored.key_prefix)
    assert len(stored.key_hash) == 64
    assert stored.client_id == issued.client_id


def test_revoked_key_is_refused(api: TestClient, engine: Engine, new_key) -> None:
    from spendsync.db.base import utcnow

    issued = new_key()
    assert api.get("/companies", headers=auth(issued.key)).status_code == 200
    with make_session_factory(engine)() as session:
        key = session.get(ApiKey, issued.key_id)
        assert key is not None
        key.revoked = utcnow()
        session.commit()
    assert api.get("/companies", headers=auth(issued.key)).status_code == 401
