from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.syncs import service
from spendsync.syncs.schemas import (
    CompanySyncStatus,
    Transaction,
    Transactions,
    sync_to_schema,
    transaction_to_schema,
)

router = APIRouter(tags=["Sync"])
BASE = "/companies/{companyId}/sync/expenses/syncs"


@router.get(
    f"{BASE}/lastSuccessful/status",
    operation_id="get-last-successful-sync",
    summary="Last successful sync",
    response_model=CompanySyncStatus,
    responses=error_responses(400, 404),
)
def get_last_successful_sync(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    session: SessionDep,
    client_id: ClientIdDep,
) -> CompanySyncStatus:
    return sync_to_schema(service.latest_sync(session, client_id, str(companyId), successful=True))


@router.get(
    f"{BASE}/latest/status",
    operation_id="get-latest-sync",
    summary="Latest sync status",
    response_model=CompanySyncStatus,
    responses=error_responses(400, 404),
)
def get_latest_sync(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> CompanySyncStatus:
    return sync_to_schema(service.latest_sync(session, client_id, str(companyId)))


@router.get(
    f"{BASE}/list/status",
    operation_id="list-syncs",
    summary="List sync statuses",
    response_model=list[CompanySyncStatus],
    responses=error_responses(400, 404),
)
def list_syncs(
    companyId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> list[CompanySyncStatus]:
    return [sync_to_schema(s) for s in service.list_syncs(session, client_id, str(companyId))]


@router.get(
    f"{BASE}/{{syncId}}/status",
    operation_id="get-sync-by-id",
    summary="Get sync status",
    response_model=CompanySyncStatus,
    responses=error_responses(400, 404),
)
def get_sync_by_id(
    companyId: UUID,  # noqa: N803
    syncId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> CompanySyncStatus:
    return sync_to_schema(service.get_sync(session, client_id, str(companyId), str(syncId)))


@router.get(
    f"{BASE}/{{syncId}}/transactions",
    operation_id="list-sync-transactions",
    summary="List sync transactions",
    response_model=Transactions,
    responses=error_responses(400, 404),
)
def list_sync_transactions(
    companyId: UUID,  # noqa: N803
    syncId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Transactions:
    rows, total = service.list_sync_transactions(
        session, client_id, str(companyId), str(syncId), params
    )
    return Transactions.model_validate(
        {
            "results": [transaction_to_schema(r) for r in rows],
            **paging_info(
                f"{BASE.format(companyId=companyId)}/{syncId}/transactions", params, total
            ),
        }
    )


@router.get(
    f"{BASE}/{{syncId}}/transactions/{{transactionId}}",
    operation_id="get-sync-transaction",
    summary="Get sync transaction",
    response_model=list[Transaction],
    responses=error_responses(400, 404),
)
def get_sync_transaction(
    companyId: UUID,  # noqa: N803
    syncId: UUID,  # noqa: N803
    transactionId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> list[Transaction]:
    rows = service.get_sync_transaction(
        session, client_id, str(companyId), str(syncId), str(transactionId)
    )
    return [transaction_to_schema(r) for r in rows]
