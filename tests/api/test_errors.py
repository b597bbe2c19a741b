import json

from fastapi.testclient import TestClient

from tests.api.test_auth import assert_envelope
from tests.conftest import auth


def test_unknown_route_is_404_envelope(api: TestClient, new_key) -> None:
    response = api.get("/nope", headers=auth(new_key().key))
    assert response.status_code == 404
    assert_envelope(response.json(), 404)


def test_wrong_method_is_405_envelope(api: TestClient, new_key) -> None:
    response = api.request("TRACE", "/companies", headers=auth(new_key().key))
    assert response.status_code == 405
    assert_envelope(response.json(), 405)


def test_malformed_json_is_400_with_validation(api: TestClient, new_key) -> None:
    response = api.post(
        "/companies",
        content=b'{"name": ',
        headers={**auth(new_key().key), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert_envelope(body, 400)
    assert body["validation"]["errors"][0]["message"] == "The request body is not valid JSON."


def test_oversized_body_is_413(api: TestClient, new_key) -> None:
    big = json.dumps({"name": "Acme", "description": "x" * (6 * 1024 * 1024)})
    response = api.post(
        "/companies",
        content=big,
        headers={**auth(new_key().key), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert_envelope(response.json(), 413)


def test_oversized_chunked_body_is_413(api: TestClient, new_key) -> None:
    def chunks():
        yield b'{"name": "Acme", "description": "'
        for _ in range(7):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = api.post(
        "/companies",
        content=chunks(),
        headers={**auth(new_key().key), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_openapi_uses_codat_operation_ids(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "list-companies",
        "create-company",
        "get-company",
        "replace-company",
        "update-company",
        "delete-company",
        "list-connections",
        "create-connection",
        "get-connection",
        "delete-connection",
        "unlink-connection",
        "create-partner-expense-connection",
        "get-company-info",
        "list-integrations",
        "get-integration",
    } <= operation_ids
    assert {"Company", "Connection", "CompanyRequestBody", "ErrorMessage"} <= set(
        spec["components"]["schemas"]
    )
    assert api.get("/docs").status_code == 200


def test_nul_characters_are_refused_everywhere(api: TestClient, new_key) -> None:
    headers = auth(new_key().key)
    for body in (
        {"name": "Acme\x00"},
        {"name": "Acme", "tags": {"\x00": "x"}},
        {"name": "A", "description": "\x00"},
    ):
        response = api.post("/companies", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["statusCode"] == 400
    assert api.get("/companies", params={"query": "name=a\x00"}, headers=headers).status_code == 400
    assert api.get("/companies/%00", headers=headers).status_code == 400
