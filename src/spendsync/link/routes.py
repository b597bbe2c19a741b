"""Unauthenticated pages reached through `redirect` and `linkUrl`. The linkUrl carries a
per-connection secret (`otp`); without it the page reveals nothing."""

from __future__ import annotations

import hmac
from html import escape
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from spendsync.api.deps import SessionDep
from spendsync.companies.models import Company
from spendsync.connections.models import Connection
from spendsync.connectors.registry import find_platform, has_connector
from spendsync.errors import NotFound

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


@router.get("/companies/{companyId}/connections/{connectionId}/start")
def start_link(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    otp: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    connection = session.scalar(
        select(Connection).where(
            Connection.id == str(connectionId), Connection.company_id == str(companyId)
        )
    )
    if connection is None or not hmac.compare_digest(connection.link_token, otp):
        raise NotFound(f"Data connection {connectionId} not found")
    platform = find_platform(connection.platform_key)
    name = platform.name if platform else connection.platform_key
    if platform is None or not has_connector(platform.key):
        return _page(
            f"Connect {name}",
            f"<p>This spendsync server cannot connect to {escape(name)} yet: it has no "
            f"{escape(name)} connector. Please contact your expense provider.</p>",
            status_code=501,
        )
    return _page(
        f"Connect {name}",
        f"<p>Status of this connection: {escape(connection.status.value)}.</p>",
    )
