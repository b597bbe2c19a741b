from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from spendsync.api.deps import ClientIdDep, LedgerContextDep, SessionDep
from spendsync.api.responses import error_responses
from spendsync.company_info import service
from spendsync.company_info.schemas import CompanyInformation, company_information_to_schema

router = APIRouter(tags=["Company info"])


@router.get(
    "/companies/{companyId}/data/info",
    operation_id="get-company-info",
    summary="Get company info",
    response_model=CompanyInformation,
    responses=error_responses(400, 404, 409),
)
def get_company_info(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> CompanyInformation:
    return company_information_to_schema(
        service.get_company_info(session, context, client_id, str(companyId))
    )
