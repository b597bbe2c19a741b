"""Fixtures for the QBO sandbox tests: a fresh in-process sandbox per test and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spendsync.sandboxes.qbo import QboSandbox, QboSandboxConfig, create_app, sandbox_of
from spendsync.sandboxes.qbo.seed import UK_REALM_ID, US_REALM_ID, record_id

Qbo = Callable[..., Any]


@pytest.fixture
def config() -> QboSandboxConfig:
    return QboSandboxConfig()


@pytest.fixture
def app(config: QboSandboxConfig) -> FastAPI:
    return create_app(config)


@pytest.fixture
def sandbox(app: FastAPI) -> QboSandbox:
    return sandbox_of(app)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def issue_token(client: TestClient, realm_id: str = US_REALM_ID, **extra: Any) -> dict[str, Any]:
    response = client.post("/_control/qbo/tokens", json={"realm_id": realm_id, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def caller(client: TestClient, realm_id: str) -> Qbo:
    """``qbo("POST", "/purchase", json=…)`` against one company, minorversion 75 unless a
    ``params={"minorversion": None}`` leaves it out."""
    token = issue_token(client, realm_id)["access_token"]

    def call(method: str, path: str, **kwargs: Any) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        merged = {"minorversion": "75", **kwargs.pop("params", {})}
        params = {key: value for key, value in merged.items() if value is not None}
        return client.request(
            method, f"/v3/company/{realm_id}{path}", headers=headers, params=params, **kwargs
        )

    return call


@pytest.fixture
def us(client: TestClient) -> Qbo:
    return caller(client, US_REALM_ID)


@pytest.fixture
def uk(client: TestClient) -> Qbo:
    return caller(client, UK_REALM_ID)


def ids(sandbox: QboSandbox, realm_id: str, entity: str, name: str) -> str:
    company = sandbox.backend.company(realm_id)
    assert company is not None
    return record_id(company, entity, name)


def card_purchase(sandbox: QboSandbox, **overrides: Any) -> dict[str, Any]:
    """A valid US card spend: Company Card, vendor Staples, one Office Supplies line."""
    body: dict[str, Any] = {
        "PaymentType": "CreditCard",
        "AccountRef": {"value": ids(sandbox, US_REALM_ID, "Account", "Company Card")},
        "EntityRef": {"value": ids(sandbox, US_REALM_ID, "Vendor", "Staples"), "type": "Vendor"},
        "TxnDate": "2024-02-14",
        "DocNumber": "card-1",
        "PrivateNote": "Printer paper",
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 42.5,
                "Description": "Paper",
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {
                        "value": ids(sandbox, US_REALM_ID, "Account", "Office Supplies")
                    },
                    "TaxCodeRef": {"value": "NON"},
                },
            }
        ],
    }
    body.update(overrides)
    return body


def fault_of(response: Any) -> dict[str, Any]:
    """The first Error of a Fault envelope (asserting the envelope's shape on the way)."""
    body = response.json()
    assert set(body) == {"Fault", "time"}, body
    assert body["Fault"]["type"] in (
        "ValidationFault",
        "SystemFault",
        "AuthenticationFault",
        "AuthorizationFault",
        "SERVICE",
    )
    error: dict[str, Any] = body["Fault"]["Error"][0]
    assert set(error) == {"Message", "Detail", "code", "element"}
    return error
