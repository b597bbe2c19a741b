"""Request dependencies: one database session per request (the unit of work) and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session, sessionmaker

from spendsync.clients.service import authenticate
from spendsync.connectors.base import LedgerContext


def _session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed once, after the handler returned, before the
    response is sent; rolled back on any error."""
    with _session_factory(request)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_client_id(
    session: SessionDep,
    authorization: Annotated[
        str | None,
        Header(
            description='"Basic " followed by your API key or its base64 encoding.',
            include_in_schema=False,
        ),
    ] = None,
) -> str:
    return authenticate(session, authorization)


ClientIdDep = Annotated[str, Depends(get_client_id)]


def get_ledger_context(request: Request) -> LedgerContext:
    return LedgerContext(
        settings=request.app.state.settings, session_factory=_session_factory(request)
    )


LedgerContextDep = Annotated[LedgerContext, Depends(get_ledger_context)]
