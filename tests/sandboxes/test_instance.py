"""What every platform sandbox shares: how its app is served."""

from __future__ import annotations

from types import ModuleType

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from spendsync.sandboxes.qbo import QboSandboxConfig
from spendsync.sandboxes.qbo import app as qbo_app
from spendsync.sandboxes.xero import app as xero_app
from spendsync.sandboxes.xero.app import XeroSandboxConfig


@pytest.mark.parametrize(
    ("app_module", "config"),
    [
        (xero_app, XeroSandboxConfig(auto_consent=True)),
        (qbo_app, QboSandboxConfig(auto_consent=True)),
    ],
    ids=["xero", "qbo"],
)
def test_serve_runs_uvicorn_with_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, app_module: ModuleType, config: BaseModel
) -> None:
    calls: list[tuple[object, str, int]] = []

    def fake_run(app: object, *, host: str, port: int, **_: object) -> None:
        calls.append((app, host, port))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    app_module.serve("127.0.0.1", 8765, config)
    [(app, host, port)] = calls
    assert isinstance(app, FastAPI)
    assert (host, port) == ("127.0.0.1", 8765)
    assert app_module.sandbox_of(app).identity.consent.auto is True
