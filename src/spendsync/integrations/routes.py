from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.connectors.registry import find_platform
from spendsync.errors import NotFound
from spendsync.integrations import service
from spendsync.integrations.schemas import Integration, Integrations, integration_to_schema

router = APIRouter(tags=["Integrations"])


@router.get(
    "/integrations",
    operation_id="list-integrations",
    summary="List integrations",
    response_model=Integrations,
    responses=error_responses(400),
)
def list_integrations(
    session: SessionDep,
    _client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Integrations:
    platforms, total = service.list_integrations(session, params)
    return Integrations.model_validate(
        {
            "results": [integration_to_schema(p) for p in platforms],
            **paging_info("/integrations", params, total),
        }
    )


@router.get(
    "/integrations/{platformKey}",
    operation_id="get-integration",
    summary="Get integration",
    response_model=Integration,
    responses=error_responses(404),
)
def get_integration(
    platformKey: Annotated[str, Path(max_length=64)],  # noqa: N803 - Codat's parameter name
    _client_id: ClientIdDep,
) -> Integration:
    platform = find_platform(platformKey)
    if platform is None:
        raise NotFound(f"No integration was found with key {platformKey}")
    return integration_to_schema(platform)
