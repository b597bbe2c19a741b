"""``spendsync sandbox quickbooksonline`` starts the QBO sandbox with the CLI's options."""

from __future__ import annotations

import pytest
import uvicorn
from typer.testing import CliRunner

from spendsync.cli import app as cli
from spendsync.sandboxes.qbo import QboSandbox


def test_sandbox_quickbooksonline_command(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, str, int]] = []

    def fake_run(app: object, *, host: str, port: int, **_: object) -> None:
        calls.append((app, host, port))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(
        cli, ["sandbox", "quickbooksonline", "--port", "8123", "--auto-consent"]
    )
    assert result.exit_code == 0, result.output
    assert "/v3/company/<realmId>" in result.output
    [(app, host, port)] = calls
    assert (host, port) == ("127.0.0.1", 8123)
    sandbox = app.state.sandbox  # type: ignore[attr-defined]
    assert isinstance(sandbox, QboSandbox)
    assert sandbox.identity.consent.auto is True
