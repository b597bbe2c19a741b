from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.responses import error_responses
from spendsync.mapping import service
from spendsync.mapping.schemas import MappingOptions

router = APIRouter(tags=["Mapping options"])


@router.get(
    "/companies/{companyId}/sync/expenses/mappingOptions",
    operation_id="get-mapping-options",
    summary="Mapping options",
    response_model=MappingOptions,
    responses=error_responses(400, 404, 409),
)
def get_mapping_options(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
) -> MappingOptions:
    return service.get_mapping_options(session, client_id, str(companyId))
