"""Unauthenticated pages reached through `redirect` and `linkUrl`. The linkUrl carries a
per-connection secret (`otp`); without it the page reveals nothing."""

from __future__ import annotations

import hmac
from html import escape
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from spendsync.api.deps import LedgerContextDep, SessionDep
from spendsync.companies.models import Company
from spendsync.connections.models import Connection
from spendsync.connectors.errors import AuthFailure, NotSupported
from spendsync.connectors.reference import ReferenceDataType
from spendsync.connectors.registry import find_platform, linker_for_callback, registered_linker
from spendsync.errors import NotFound
from spendsync.reference.service import request_pulls

router = APIRouter(prefix="/link", include_in_schema=False)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "</head><body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
        f"<h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status_code,
    )


@router.get("/companies/{companyId}")
def company_redirect(companyId: UUID, session: SessionDep) -> HTMLResponse:  # noqa: N803
    company = session.get(Company, str(companyId))
    if company is None:
        raise NotFound(f"No company was found with ID {companyId}")
    return _page(
        "Connect your accounting software",
        "<p>Your expense provider will send you a personal link for your accounting "
        "software. Open that link to authorise the connection.</p>",
    )


@router.get("/companies/{companyId}/connections/{connectionId}/start", response_model=None)
def start_link(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    context: LedgerContextDep,
    otp: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse | RedirectResponse:
    connection = session.scalar(
        select(Connection).where(
            Connection.id == str(connectionId), Connection.company_id == str(companyId)
        )
    )
    if connection is None or not hmac.compare_digest(connection.link_token, otp):
        raise NotFound(f"Data connection {connectionId} not found")
    platform = find_platform(connection.platform_key)
    name = platform.name if platform else connection.platform_key
    linker = registered_linker(platform.key) if platform is not None else None
    if linker is not None:
        try:
            return RedirectResponse(linker.start(session, context, connection), status_code=302)
        except NotSupported as exc:
            return _page(f"Connect {name}", f"<p>{escape(str(exc))}</p>", status_code=501)
    return _page(
        f"Connect {name}",
        f"<p>This spendsync server cannot connect to {escape(name)} yet: it has no "
        f"{escape(name)} connector. Please contact your expense provider.</p>",
        status_code=501,
    )


@router.get("/callback/{callbackName}")
def link_callback(
    callbackName: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    context: LedgerContextDep,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """The platform (or our own page, for local ledgers) sends the customer back here."""
    found = linker_for_callback(callbackName)
    if found is None:
        raise NotFound(f"No link flow is called {callbackName}")
    platform, linker = found
    failed = f"{platform.name} was not connected"
    if error:
        return _page(failed, f"<p>{escape(platform.name)} said: {escape(error)}.</p>", 400)
    params = {key: value[:4096] for key, value in request.query_params.items()}
    try:
        connection = linker.complete(session, context, params)
    except AuthFailure as exc:
        session.commit()  # the used state is gone either way
        return _page(failed, f"<p>{escape(str(exc))}</p>", status_code=400)
    # The first read of the ledger's reference data starts as soon as the link is stored.
    request_pulls(
        session,
        connection.client_id,
        connection.company_id,
        list(ReferenceDataType),
        request.app.state.jobs.enqueue_pull,
        connection_id=connection.id,
    )
    organisation = (connection.connection_info or {}).get("organisation") or "your organisation"
    return _page(
        f"{platform.name} is connected",
        f"<p>{escape(str(organisation))} is now connected. You can close this window.</p>",
    )
