from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.connectors.reference import ReferenceDataType
from spendsync.errors import NotFound
from spendsync.reference import service
from spendsync.reference.schemas import (
    Customer,
    Customers,
    DataStatus,
    PullOperation,
    PullOperations,
    Supplier,
    Suppliers,
    customer_to_schema,
    pull_to_schema,
    supplier_to_schema,
)

router = APIRouter()


def get_enqueue_pull(request: Request) -> service.EnqueuePull:
    enqueue: service.EnqueuePull = request.app.state.jobs.enqueue_pull
    return enqueue


EnqueuePullDep = Annotated[service.EnqueuePull, Depends(get_enqueue_pull)]


@router.post(
    "/companies/{companyId}/data/all",
    operation_id="refresh-all-data-types",
    summary="Refresh all data",
    tags=["Manage data"],
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 404, 409),
)
def refresh_all_data_types(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueuePullDep,
) -> Response:
    service.request_pulls(session, client_id, str(companyId), list(ReferenceDataType), enqueue)
    return Response(status_code=204)


@router.post(
    "/companies/{companyId}/data/queue/{dataType}",
    operation_id="refresh-data-type",
    summary="Refresh data type",
    tags=["Manage data"],
    response_model=PullOperation,
    responses=error_responses(400, 404, 409),
)
def refresh_data_type(
    companyId: UUID,  # noqa: N803
    dataType: Annotated[str, Path(max_length=64)],  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueuePullDep,
    connectionId: Annotated[UUID | None, Query()] = None,  # noqa: N803
) -> PullOperation:
    data_type = service.parse_data_type(dataType)
    [pull] = service.request_pulls(
        session,
        client_id,
        str(companyId),
        [data_type],
        enqueue,
        connection_id=str(connectionId) if connectionId else None,
    )
    return pull_to_schema(pull)


@router.get(
    "/companies/{companyId}/dataStatus",
    operation_id="get-data-status",
    summary="Get data status",
    tags=["Manage data"],
    response_model=dict[str, DataStatus],
    responses=error_responses(400, 404),
)
def get_data_status(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> dict[str, DataStatus]:
    from spendsync.companies.service import get_company

    get_company(session, client_id, str(companyId))
    return {
        data_type: DataStatus(
            data_type=data_type,
            last_successful_sync=success.completed if success else None,
            current_status=latest.status,
            latest_sync_id=latest.id,
            latest_successful_sync_id=success.id if success else None,
        )
        for data_type, latest, success in service.data_status(session, client_id, str(companyId))
    }


@router.get(
    "/companies/{companyId}/data/history",
    operation_id="list-pull-operations",
    summary="List pull operations",
    tags=["Manage data"],
    response_model=PullOperations,
    responses=error_responses(400, 404),
)
def list_pull_operations(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> PullOperations:
    from spendsync.companies.service import get_company

    get_company(session, client_id, str(companyId))
    rows, total = service.list_pulls(session, client_id, str(companyId), params)
    return PullOperations.model_validate(
        {
            "results": [pull_to_schema(r) for r in rows],
            **paging_info(f"/companies/{companyId}/data/history", params, total),
        }
    )


@router.get(
    "/companies/{companyId}/data/history/{datasetId}",
    operation_id="get-pull-operation",
    summary="Get pull operation",
    tags=["Manage data"],
    response_model=PullOperation,
    responses=error_responses(400, 404),
)
def get_pull_operation(
    companyId: UUID,  # noqa: N803
    datasetId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> PullOperation:
    from spendsync.companies.service import get_company

    get_company(session, client_id, str(companyId))
    return pull_to_schema(service.get_pull(session, client_id, str(companyId), str(datasetId)))


@router.get(
    "/companies/{companyId}/data/suppliers",
    operation_id="list-suppliers",
    summary="List suppliers",
    tags=["Suppliers"],
    response_model=Suppliers,
    responses=error_responses(400, 404, 409),
)
def list_suppliers(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Suppliers:
    records, total = service.page_contacts(
        session, client_id, str(companyId), ReferenceDataType.SUPPLIERS, params
    )
    results = [supplier_to_schema(c, m) for c, m in records]
    return Suppliers.model_validate(
        {"results": results, **paging_info(f"/companies/{companyId}/data/suppliers", params, total)}
    )


@router.get(
    "/companies/{companyId}/data/suppliers/{supplierId}",
    operation_id="get-supplier",
    summary="Get supplier",
    tags=["Suppliers"],
    response_model=Supplier,
    responses=error_responses(400, 404, 409),
)
def get_supplier(
    companyId: UUID,  # noqa: N803
    supplierId: Annotated[str, Path(max_length=255)],  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> Supplier:
    found = service.get_contact(
        session, client_id, str(companyId), ReferenceDataType.SUPPLIERS, supplierId
    )
    if found is None:
        raise NotFound(f"No supplier was found with ID {supplierId}")
    return supplier_to_schema(*found)


@router.get(
    "/companies/{companyId}/data/customers",
    operation_id="list-customers",
    summary="List customers",
    tags=["Customers"],
    response_model=Customers,
    responses=error_responses(400, 404, 409),
)
def list_customers(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Customers:
    records, total = service.page_contacts(
        session, client_id, str(companyId), ReferenceDataType.CUSTOMERS, params
    )
    return Customers.model_validate(
        {
            "results": [customer_to_schema(c, m) for c, m in records],
            **paging_info(f"/companies/{companyId}/data/customers", params, total),
        }
    )


@router.get(
    "/companies/{companyId}/data/customers/{customerId}",
    operation_id="get-customer",
    summary="Get customer",
    tags=["Customers"],
    response_model=Customer,
    responses=error_responses(400, 404, 409),
)
def get_customer(
    companyId: UUID,  # noqa: N803
    customerId: Annotated[str, Path(max_length=255)],  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> Customer:
    found = service.get_contact(
        session, client_id, str(companyId), ReferenceDataType.CUSTOMERS, customerId
    )
    if found is None:
        raise NotFound(f"No customer was found with ID {customerId}")
    return customer_to_schema(*found)
