"""Property-based pass over the platform endpoints: arbitrary bodies, queries and ids never
produce a 5xx, and every 4xx is Codat's error envelope."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import auth

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=30), children, max_size=12)
    ),
    max_leaves=25,
)
company_like = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values | st.text(max_size=60),
        "description": json_values,
        "tags": json_values | st.dictionaries(st.text(max_size=30), st.text(max_size=120)),
    },
)
fuzz_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["statusCode"] == response.status_code
        assert body["correlationId"]
        assert isinstance(body["error"], str)


@pytest.fixture
def ctx(api: TestClient, new_key) -> dict[str, Any]:
    headers = auth(new_key().key)
    company = api.post("/companies", json={"name": "Fuzz"}, headers=headers).json()
    conn = api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}, headers=headers
    ).json()
    return {"api": api, "headers": headers, "company": company["id"], "connection": conn["id"]}


@fuzz_settings
@given(body=company_like | json_values)
def test_company_bodies(ctx: dict[str, Any], body: Any) -> None:
    api, headers, cid = ctx["api"], ctx["headers"], ctx["company"]
    check(api.post("/companies", json=body, headers=headers))
    check(api.put(f"/companies/{cid}", json=body, headers=headers))
    check(api.patch(f"/companies/{cid}", json=body, headers=headers))


@fuzz_settings
@given(raw=st.binary(max_size=200))
def test_raw_bytes_as_json(ctx: dict[str, Any], raw: bytes) -> None:
    api, headers = ctx["api"], {**ctx["headers"], "Content-Type": "application/json"}
    check(api.post("/companies", content=raw, headers=headers))
    check(api.post(f"/companies/{ctx['company']}/connections", content=raw, headers=headers))


@fuzz_settings
@given(body=json_values | st.fixed_dictionaries({"platformKey": json_values}))
def test_connection_bodies(ctx: dict[str, Any], body: Any) -> None:
    api, headers, cid, conn = ctx["api"], ctx["headers"], ctx["company"], ctx["connection"]
    check(api.post(f"/companies/{cid}/connections", json=body, headers=headers))
    check(api.patch(f"/companies/{cid}/connections/{conn}", json=body, headers=headers))


@fuzz_settings
@given(
    query=st.text(max_size=80)
    | st.from_regex(r"\A[a-zA-Z]{1,12}(=|!=|>|<|~|>=|<=)[^&|{}()]{0,10}((&&|\|\|)[a-z]{1,8}=x)?\Z"),
    order_by=st.none() | st.text(max_size=20),
    page=st.none() | st.integers(min_value=-5, max_value=10**7) | st.text(max_size=5),
    page_size=st.none() | st.integers(min_value=-5, max_value=10**5) | st.text(max_size=5),
)
def test_list_parameters(
    ctx: dict[str, Any], query: str, order_by: str | None, page: Any, page_size: Any
) -> None:
    params: dict[str, Any] = {"query": query}
    for name, value in (("orderBy", order_by), ("page", page), ("pageSize", page_size)):
        if value is not None:
            params[name] = value
    api, headers = ctx["api"], ctx["headers"]
    check(api.get("/companies", params=params, headers=headers))
    check(api.get("/companies", params={"tags": query}, headers=headers))
    check(api.get(f"/companies/{ctx['company']}/connections", params=params, headers=headers))
    check(api.get("/integrations", params=params, headers=headers))


@fuzz_settings
@given(segment=st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and s not in ".."))
def test_path_ids(ctx: dict[str, Any], segment: str) -> None:
    api, headers = ctx["api"], ctx["headers"]
    segment = quote(segment, safe="")
    for url in (
        f"/companies/{segment}",
        f"/companies/{ctx['company']}/connections/{segment}",
        f"/companies/{segment}/data/info",
        f"/integrations/{segment}",
    ):
        check(api.get(url, headers=headers))
    check(api.delete(f"/companies/{segment}", headers=headers))


def test_random_uuid_ids_are_404(ctx: dict[str, Any]) -> None:
    api, headers = ctx["api"], ctx["headers"]
    missing = str(uuid.uuid4())
    assert api.get(f"/companies/{missing}", headers=headers).status_code == 404
    response = api.get(f"/companies/{ctx['company']}/connections/{missing}", headers=headers)
    assert response.status_code == 404
    assert json.loads(response.text)["error"] == f"Data connection {missing} not found"
