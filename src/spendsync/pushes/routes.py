from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path

from spendsync.api.deps import ClientIdDep, LedgerContextDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.connectors.reference import LedgerContact, RecordStatus, ReferenceDataType
from spendsync.pushes import accounts, service
from spendsync.pushes.schemas import (
    AccountBody,
    BankAccountBody,
    CustomerBody,
    PushOperationOut,
    PushOperations,
    PushOption,
    SupplierBody,
    push_to_schema,
)

router = APIRouter()
CONNECTION = "/companies/{companyId}/connections/{connectionId}"
RecordId = Annotated[str, Path(min_length=1, max_length=255)]


def _contact(body: SupplierBody | CustomerBody) -> LedgerContact:
    supplier = isinstance(body, SupplierBody)
    return LedgerContact(
        id=body.id or "",
        name=body.supplier_name if isinstance(body, SupplierBody) else body.customer_name,
        is_supplier=supplier,
        is_customer=not supplier,
        currency=body.default_currency,
        email=body.email_address,
        tax_number=body.tax_number,
        status=RecordStatus.ARCHIVED if body.status == "Archived" else RecordStatus.ACTIVE,
    )


def _push(
    session: SessionDep,
    context: LedgerContextDep,
    client_id: str,
    company_id: UUID,
    connection_id: UUID,
    data_type: ReferenceDataType,
    body: SupplierBody | CustomerBody,
    existing_id: str | None,
) -> PushOperationOut:
    row = service.push_contact(
        session,
        context,
        client_id,
        str(company_id),
        str(connection_id),
        data_type,
        _contact(body),
        existing_id,
    )
    return push_to_schema(row)


@router.post(
    f"{CONNECTION}/push/suppliers",
    operation_id="create-supplier",
    summary="Create supplier",
    tags=["Suppliers"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def create_supplier(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    connectionId: UUID,  # noqa: N803
    body: SupplierBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    return _push(
        session,
        context,
        client_id,
        companyId,
        connectionId,
        ReferenceDataType.SUPPLIERS,
        body,
        None,
    )


@router.put(
    f"{CONNECTION}/push/suppliers/{{supplierId}}",
    operation_id="update-supplier",
    summary="Update supplier",
    tags=["Suppliers"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def update_supplier(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    supplierId: RecordId,  # noqa: N803
    body: SupplierBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    return _push(
        session,
        context,
        client_id,
        companyId,
        connectionId,
        ReferenceDataType.SUPPLIERS,
        body,
        supplierId,
    )


@router.post(
    f"{CONNECTION}/push/customers",
    operation_id="create-customer",
    summary="Create customer",
    tags=["Customers"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def create_customer(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    body: CustomerBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    return _push(
        session,
        context,
        client_id,
        companyId,
        connectionId,
        ReferenceDataType.CUSTOMERS,
        body,
        None,
    )


@router.put(
    f"{CONNECTION}/push/customers/{{customerId}}",
    operation_id="update-customer",
    summary="Update customer",
    tags=["Customers"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def update_customer(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    customerId: RecordId,  # noqa: N803
    body: CustomerBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    return _push(
        session,
        context,
        client_id,
        companyId,
        connectionId,
        ReferenceDataType.CUSTOMERS,
        body,
        customerId,
    )


@router.post(
    f"{CONNECTION}/push/accounts",
    operation_id="create-account",
    summary="Create account",
    tags=["Accounts"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def create_account(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    body: AccountBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    row = service.push_account(
        session,
        context,
        client_id,
        str(companyId),
        str(connectionId),
        accounts.new_account(body),
        ReferenceDataType.CHART_OF_ACCOUNTS.value,
        accounts.account_data,
    )
    return push_to_schema(row)


@router.post(
    f"{CONNECTION}/push/bankAccounts",
    operation_id="create-bank-account",
    summary="Create bank account",
    tags=["Bank accounts"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404, 409),
)
def create_bank_account(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    body: BankAccountBody,
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> PushOperationOut:
    row = service.push_account(
        session,
        context,
        client_id,
        str(companyId),
        str(connectionId),
        accounts.new_bank_account(body),
        "bankAccounts",
        accounts.bank_account_data,
    )
    return push_to_schema(row)


@router.get(
    f"{CONNECTION}/options/chartOfAccounts",
    operation_id="get-create-chartOfAccounts-model",
    summary="Get create account model",
    tags=["Accounts"],
    response_model=PushOption,
    response_model_exclude_none=True,
    responses=error_responses(400, 404),
)
def get_create_accounts_model(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> PushOption:
    platform, rules = service.account_creation(
        session, client_id, str(companyId), str(connectionId)
    )
    return accounts.account_option(platform, rules)


@router.get(
    f"{CONNECTION}/options/bankAccounts",
    operation_id="get-create-bankAccounts-model",
    summary="Get create bank account model",
    tags=["Bank accounts"],
    response_model=PushOption,
    response_model_exclude_none=True,
    responses=error_responses(400, 404),
)
def get_create_bank_accounts_model(
    companyId: UUID,  # noqa: N803
    connectionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> PushOption:
    platform, rules = service.account_creation(
        session, client_id, str(companyId), str(connectionId)
    )
    return accounts.bank_account_option(platform, rules)


@router.get(
    "/companies/{companyId}/push",
    operation_id="list-push-operations",
    summary="List push operations",
    tags=["Push operations"],
    response_model=PushOperations,
    responses=error_responses(400, 404),
)
def list_push_operations(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> PushOperations:
    rows, total = service.list_pushes(session, client_id, str(companyId), params)
    return PushOperations.model_validate(
        {
            "results": [push_to_schema(r) for r in rows],
            **paging_info(f"/companies/{companyId}/push", params, total),
        }
    )


@router.get(
    "/companies/{companyId}/push/{pushOperationKey}",
    operation_id="get-push-operation",
    summary="Get push operation",
    tags=["Push operations"],
    response_model=PushOperationOut,
    responses=error_responses(400, 404),
)
def get_push_operation(
    companyId: UUID,  # noqa: N803
    pushOperationKey: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> PushOperationOut:
    return push_to_schema(
        service.get_push(session, client_id, str(companyId), str(pushOperationKey))
    )
