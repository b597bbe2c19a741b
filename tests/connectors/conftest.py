"""The Xero sandbox served over a real loopback socket for the connector tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from spendsync.sandboxes.xero.app import XeroSandboxConfig
from spendsync.sandboxes.xero.app import create_app as create_sandbox
from spendsync.sandboxes.xero.oauth import AppRegistration
from tests.conftest import PUBLIC_URL
from tests.live_server import free_port

CLIENT_ID = "spendsync-test-app"
CLIENT_SECRET = "test-secret"


@contextmanager
def running_xero_sandbox(**overrides: Any) -> Iterator[str]:
    """A Xero sandbox on a free loopback port, with the test app registered."""
    config = XeroSandboxConfig(
        apps=[
            AppRegistration(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uris=[f"{PUBLIC_URL}/link/callback/xero"],
                name="spendsync tests",
            )
        ],
        auto_consent=True,
        **overrides,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_sandbox(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    with running_xero_sandbox() as url:
        yield url
