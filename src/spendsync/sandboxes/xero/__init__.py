"""A local emulator of Xero's Accounting API 2.0 and OAuth 2.0 identity service.

Use :func:`create_app` in-process (``httpx.ASGITransport`` / ``TestClient``) or :func:`serve` on a
loopback port; point a Xero client at it by replacing ``https://api.xero.com``,
``https://identity.xero.com`` and ``https://login.xero.com`` with the sandbox's base URL.
"""

from spendsync.sandboxes.xero.app import (
    AppRegistration,
    XeroSandbox,
    XeroSandboxConfig,
    create_app,
    sandbox_of,
    serve,
)

__all__ = [
    "AppRegistration",
    "XeroSandbox",
    "XeroSandboxConfig",
    "create_app",
    "sandbox_of",
    "serve",
]
