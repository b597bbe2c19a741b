from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response

from spendsync.api.deps import ClientIdDep, LedgerContextDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.api.settings import SettingsDep
from spendsync.connections import service
from spendsync.connections.schemas import (
    Connection,
    Connections,
    CreateConnectionRequest,
    UpdateConnection,
    connection_to_schema,
)

router = APIRouter(tags=["Connections"])


@router.get(
    "/companies/{companyId}/connections",
    operation_id="list-connections",
    summary="List connections",
    response_model=Connections,
    responses=error_responses(400, 404),
)
def list_connections(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Connections:
    rows, total = service.list_connections(session, client_id, str(companyId), params)
    return Connections.model_validate(
        {
            "results": [connection_to_schema(r, settings.public_url) for r in rows],
            **paging_info(f"/companies/{companyId}/connections", params, total),
        }
    )


@router.post(
    "/companies/{companyId}/connections",
    operation_id="create-connection",
    summary="Create connection",
    response_model=Connection,
    responses=error_responses(400, 404, 409),
)
def create_connection(
    companyId: UUID,  # noqa: N803
    body: CreateConnectionRequest,
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> Connection:
    row = service.create_connection(session, client_id, str(companyId), body.platform_key)
    return connection_to_schema(row, settings.public_url)


@router.get(
    "/companies/{companyId}/connections/{connectionId}",
    operation_id="get-connection",
    summary="Get connection",
    response_model=Connection,
    responses=error_responses(400, 404),
)
def get_connection(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> Connection:
    row = service.get_connection(session, client_id, str(companyId), str(connectionId))
    return connection_to_schema(row, settings.public_url)


@router.delete(
    "/companies/{companyId}/connections/{connectionId}",
    operation_id="delete-connection",
    summary="Delete connection",
    response_class=Response,
    responses={200: {"description": "OK"}, **error_responses(400, 404)},
)
def delete_connection(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> Response:
    service.delete_connection(session, context, client_id, str(companyId), str(connectionId))
    return Response(status_code=200)


@router.patch(
    "/companies/{companyId}/connections/{connectionId}",
    operation_id="unlink-connection",
    summary="Unlink connection",
    response_model=Connection,
    responses=error_responses(400, 404),
)
def unlink_connection(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
    context: LedgerContextDep,
    body: Annotated[UpdateConnection, Body()],
) -> Connection:
    row = service.unlink_connection(
        session, context, client_id, str(companyId), str(connectionId), body.status
    )
    return connection_to_schema(row, settings.public_url)


@router.post(
    "/companies/{companyId}/sync/expenses/connections/partnerExpense",
    operation_id="create-partner-expense-connection",
    summary="Create partner expense connection",
    response_model=Connection,
    responses=error_responses(400, 404),
)
def create_partner_expense_connection(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> Connection:
    row = service.create_partner_expense_connection(session, client_id, str(companyId))
    return connection_to_schema(row, settings.public_url)
