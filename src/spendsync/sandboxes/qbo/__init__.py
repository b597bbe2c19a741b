"""A local emulator of QuickBooks Online's Accounting API v3 and Intuit's OAuth 2.0 endpoints.

Use :func:`create_app` in-process (``httpx.ASGITransport`` / ``TestClient``) or :func:`serve` on a
loopback port; point a QBO client at it by replacing ``https://quickbooks.api.intuit.com``,
``https://appcenter.intuit.com``, ``https://oauth.platform.intuit.com`` and
``https://developer.api.intuit.com`` with the sandbox's base URL.
"""

from spendsync.sandboxes.qbo.app import (
    QboSandbox,
    QboSandboxConfig,
    create_app,
    sandbox_of,
    serve,
)

__all__ = ["QboSandbox", "QboSandboxConfig", "create_app", "sandbox_of", "serve"]
