"""Linking a connection to a Beancount ledger. There is no platform to consent at: the linkUrl
leads straight to our callback, which links the company's ledger file under the server's
ledgers directory (`<ledgers_dir>/<company id>/main.beancount`, or the file named by the
`ledger` parameter, which must be a plain file name in that folder). A ledger that does not
exist is created with a default chart; an existing one must load with bean-check, and gets
spendsync's include line added once. A ledger that does not load is never touched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from spendsync.companies.models import Company
from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.beancount import files
from spendsync.connectors.beancount.book import read_book
from spendsync.connectors.beancount.chart import default_ledger
from spendsync.connectors.errors import AuthFailure
from spendsync.connectors.linking import open_authorization, take_authorization

DEFAULT_FILE = "main.beancount"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,120}\.beancount$")


def company_folder(ledgers_dir: Path, company_id: str) -> Path:
    return ledgers_dir / company_id


def ledger_file(ledgers_dir: Path, company_id: str, name: str | None) -> Path:
    """The ledger a customer chose: a plain `.beancount` file name in the company's folder."""
    chosen = name or DEFAULT_FILE
    if not _FILE_NAME.match(chosen):
        raise AuthFailure(
            f"{chosen!r} is not a ledger file name (a plain name ending in .beancount)."
        )
    folder = company_folder(ledgers_dir, company_id).resolve()
    path = (folder / chosen).resolve()
    if path.parent != folder:
        raise AuthFailure("The ledger must be in the company's ledgers folder.")
    return path


def prepare_ledger(path: Path, title: str, base_currency: str, lock_timeout: float) -> str:
    """Create the ledger, or make an existing one include spendsync's files; returns its title.
    Raises AuthFailure (the link fails) when the ledger does not load."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.locked(path, lock_timeout):
        if path.exists():
            current = files.bean_check(path)
            if current and not (
                len(current) == 1 and "does not match any files" in current[0].message
            ):
                raise AuthFailure(
                    f"The ledger {path.name} does not load, so it was not linked: "
                    f"{files.describe(current)}"
                )
            text = path.read_text(encoding="utf-8")
            if files.INCLUDE_LINE not in text:
                text = text.rstrip("\n") + f"\n\n; spendsync's entries\n{files.INCLUDE_LINE}\n"
            errors = files.write_checked_main(path, text)
        else:
            errors = files.write_checked_main(path, default_ledger(title, base_currency))
    if errors:
        raise AuthFailure(f"The ledger {path.name} would not load: {files.describe(errors)}")
    return read_book(path).title


class BeancountLinker:
    callback_name = "beancount"

    def start(self, session: Session, context: LedgerContext, connection: Connection) -> str:
        files.beancount_tool("bean-check")  # NotSupported (shown on the link page) without it
        state = open_authorization(session, context, connection)
        query = urlencode({"state": state})
        return f"{context.settings.public_url.rstrip('/')}/link/callback/beancount?{query}"

    def complete(
        self, session: Session, context: LedgerContext, params: Mapping[str, str]
    ) -> Connection:
        connection, _ = take_authorization(session, context, params.get("state", ""))
        settings = context.settings
        path = ledger_file(settings.ledgers_dir, connection.company_id, params.get("ledger"))
        company = session.get(Company, connection.company_id)
        title = prepare_ledger(
            path,
            company.name if company is not None else "Books",
            settings.beancount_currency,
            settings.beancount_lock_timeout_seconds,
        )
        connection.status = ConnectionStatus.LINKED
        connection.connection_info = {"organisation": title, "ledgerPath": str(path)}
        session.flush()
        return connection

    def revoke(self, context: LedgerContext, credentials: dict[str, Any]) -> None:
        """A local ledger holds no credentials; the file stays where it is."""
