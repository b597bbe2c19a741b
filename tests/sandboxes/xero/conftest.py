"""Fixtures for the Xero sandbox tests: a fresh in-process sandbox per test and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spendsync.sandboxes.xero import XeroSandbox, create_app, sandbox_of
from spendsync.sandboxes.xero.app import XeroSandboxConfig
from spendsync.sandboxes.xero.seed import UK_TENANT_ID, US_TENANT_ID

API = "/api.xro/2.0"
ALL_SCOPES = (
    "openid profile email offline_access accounting.transactions accounting.contacts "
    "accounting.settings accounting.attachments"
)


@pytest.fixture
def config() -> XeroSandboxConfig:
    return XeroSandboxConfig()


@pytest.fixture
def app(config: XeroSandboxConfig) -> FastAPI:
    return create_app(config)


@pytest.fixture
def sandbox(app: FastAPI) -> XeroSandbox:
    return sandbox_of(app)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def issue_token(
    client: TestClient,
    tenant_ids: tuple[str, ...] = (UK_TENANT_ID, US_TENANT_ID),
    scope: str = ALL_SCOPES,
) -> dict[str, Any]:
    response = client.post(
        "/_control/xero/tokens", json={"tenant_ids": list(tenant_ids), "scope": scope}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def token(client: TestClient) -> dict[str, Any]:
    return issue_token(client)


@pytest.fixture
def headers(token: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token['access_token']}",
        "xero-tenant-id": UK_TENANT_ID,
        "Accept": "application/json",
    }


@pytest.fixture
def xero(client: TestClient, headers: dict[str, str]) -> Callable[..., Any]:
    """``xero("PUT", "/BankTransactions", json=…)`` against the UK organisation."""

    def call(method: str, path: str, **kwargs: Any) -> Any:
        extra = kwargs.pop("headers", {})
        return client.request(method, f"{API}{path}", headers={**headers, **extra}, **kwargs)

    return call


def spend(**overrides: Any) -> dict[str, Any]:
    """A valid card payment on the GBP company card (a Codat expense → Xero SPEND)."""
    transaction: dict[str, Any] = {
        "Type": "SPEND",
        "Contact": {"Name": "Pret A Manger"},
        "BankAccount": {"Code": "091"},
        "Date": "2024-03-01",
        "Reference": "card-txn-1",
        "LineAmountTypes": "Inclusive",
        "LineItems": [
            {
                "Description": "Team lunch",
                "Quantity": 1,
                "UnitAmount": 24.0,
                "AccountCode": "429",
                "TaxType": "INPUT2",
            }
        ],
    }
    transaction.update(overrides)
    return transaction


def messages_of(body: dict[str, Any]) -> list[str]:
    """All ValidationErrors messages of a 400 ValidationException or of per-item results."""
    elements = body.get("Elements")
    if elements is None:
        elements = next(v for k, v in body.items() if isinstance(v, list) and k != "Warnings")
    return [e["Message"] for element in elements for e in element.get("ValidationErrors", [])]
