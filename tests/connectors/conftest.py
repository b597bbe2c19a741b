"""The Xero sandbox served over a real loopback socket for the connector tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from spendsync.demo.platforms import serving
from spendsync.sandboxes.xero.app import XeroSandboxConfig
from spendsync.sandboxes.xero.app import create_app as create_sandbox
from spendsync.sandboxes.xero.oauth import AppRegistration
from tests.conftest import PUBLIC_URL

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
    with serving(create_sandbox(config)) as url:
        yield url


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    with running_xero_sandbox() as url:
        yield url
