from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.responses import error_responses
from spendsync.configuration import service
from spendsync.configuration.schemas import (
    CompanyConfiguration,
    CompanyConfigurationWithWarnings,
    ConfigurationWarning,
    configuration_to_schema,
)

router = APIRouter(tags=["Configuration"])
PATH = "/companies/{companyId}/sync/expenses/config"


@router.get(
    PATH,
    operation_id="get-company-configuration",
    summary="Get company configuration",
    response_model=CompanyConfigurationWithWarnings,
    responses=error_responses(400, 404, 409),
)
def get_company_configuration(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
) -> CompanyConfigurationWithWarnings:
    row = service.get_configuration(session, client_id, str(companyId))
    warnings = service.configuration_warnings(session, client_id, str(companyId), row)
    return CompanyConfigurationWithWarnings(
        **configuration_to_schema(row).model_dump(),
        warnings=[ConfigurationWarning(item_id=w.item_id, message=w.message) for w in warnings],
    )


@router.post(
    PATH,
    operation_id="set-company-configuration",
    summary="Set company configuration",
    response_model=CompanyConfiguration,
    responses=error_responses(400, 404),
)
def set_company_configuration(
    companyId: UUID,  # noqa: N803
    body: CompanyConfiguration,
    session: SessionDep,
    client_id: ClientIdDep,
) -> CompanyConfiguration:
    row = service.set_configuration(
        session,
        client_id,
        str(companyId),
        bank_account_id=body.bank_account.id,
        supplier_id=body.supplier.id,
        customer_id=body.customer.id,
    )
    return configuration_to_schema(row)
