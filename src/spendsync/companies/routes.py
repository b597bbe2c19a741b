from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from spendsync.api.deps import ClientIdDep, LedgerContextDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.api.settings import SettingsDep
from spendsync.attachments.storage import AttachmentStorage
from spendsync.companies import service
from spendsync.companies.schemas import (
    Companies,
    Company,
    CompanyRequestBody,
    CompanyUpdateRequest,
    company_to_schema,
)
from spendsync.db.engine import run_after_commit

router = APIRouter(tags=["Companies"])


@router.get(
    "/companies",
    operation_id="list-companies",
    summary="List companies",
    response_model=Companies,
    responses=error_responses(400),
)
def list_companies(
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    tags: Annotated[
        str | None,
        Query(max_length=2000, description="Filter by tags, e.g. region=uk && team=finance"),
    ] = None,
) -> Companies:
    rows, total = service.list_companies(session, client_id, params, tags)
    return Companies.model_validate(
        {
            "results": [company_to_schema(r, settings.public_url) for r in rows],
            **paging_info("/companies", params, total),
        }
    )


@router.post(
    "/companies",
    operation_id="create-company",
    summary="Create company",
    response_model=Company,
    responses=error_responses(400),
)
def create_company(
    body: CompanyRequestBody, session: SessionDep, client_id: ClientIdDep, settings: SettingsDep
) -> Company:
    row = service.create_company(
        session, client_id, name=body.name, description=body.description, tags=body.tags
    )
    return company_to_schema(row, settings.public_url)


@router.get(
    "/companies/{companyId}",
    operation_id="get-company",
    summary="Get company",
    response_model=Company,
    responses=error_responses(400, 404),
)
def get_company(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> Company:
    row = service.get_company(session, client_id, str(companyId))
    return company_to_schema(row, settings.public_url)


@router.put(
    "/companies/{companyId}",
    operation_id="replace-company",
    summary="Replace company",
    response_model=Company,
    responses=error_responses(400, 404),
)
def replace_company(
    companyId: UUID,  # noqa: N803
    body: CompanyRequestBody,
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> Company:
    row = service.replace_company(
        session,
        client_id,
        str(companyId),
        name=body.name,
        description=body.description,
        tags=body.tags,
    )
    return company_to_schema(row, settings.public_url)


@router.patch(
    "/companies/{companyId}",
    operation_id="update-company",
    summary="Update company",
    response_model=Company,
    responses=error_responses(400, 404),
)
def update_company(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
    body: CompanyUpdateRequest | None = None,
) -> Company:
    changes = body.model_dump(exclude_unset=True) if body else {}
    row = service.update_company(session, client_id, str(companyId), changes)
    return company_to_schema(row, settings.public_url)


@router.delete(
    "/companies/{companyId}",
    operation_id="delete-company",
    summary="Delete a company",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 404),
)
def delete_company(
    request: Request,
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> Response:
    service.delete_company(session, context, client_id, str(companyId))
    storage: AttachmentStorage = request.app.state.attachment_storage
    # The company's files go once its rows are gone for good.
    run_after_commit(session, lambda: storage.delete_prefix(str(companyId)))
    return Response(status_code=204)
