from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.responses import error_responses
from spendsync.expenses import service
from spendsync.expenses.schemas import (
    AdjustmentTransactionRequest,
    ExpenseTransaction,
    ReimbursableExpenseTransaction,
    SyncInitiated,
    TransferTransactionRequest,
    UpdateExpenseRequest,
    UpdateReimbursableExpenseTransactionRequest,
)
from spendsync.syncs.models import Operation, TransactionKind

router = APIRouter()
BASE = "/companies/{companyId}/sync/expenses"


def get_enqueue(request: Request) -> service.Enqueue:
    enqueue: service.Enqueue = request.app.state.jobs.enqueue_sync
    return enqueue


EnqueueDep = Annotated[service.Enqueue, Depends(get_enqueue)]


def _json(model: BaseModel) -> dict[str, Any]:
    """The accepted request as stored with its sync (Codat casing, exact decimals as strings)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


@router.post(
    f"{BASE}/expense-transactions",
    operation_id="create-expense-transaction",
    summary="Create expense transaction",
    tags=["Expenses"],
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def create_expense_transactions(
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    items: Annotated[list[ExpenseTransaction], Body()],
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    submissions = [
        service.Submission(str(i.id), TransactionKind(i.type.value), Operation.CREATE, _json(i))
        for i in items
    ]
    sync = service.submit(session, client_id, str(companyId), submissions, enqueue)
    return SyncInitiated(sync_id=sync.id)


@router.put(
    f"{BASE}/expense-transactions/{{transactionId}}",
    operation_id="update-expense-transaction",
    summary="Update expense transaction",
    tags=["Expenses"],
    status_code=202,
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def update_expense_transaction(
    companyId: UUID,  # noqa: N803
    transactionId: UUID,  # noqa: N803
    body: UpdateExpenseRequest,
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    payload = {"id": str(transactionId), **_json(body)}
    submission = service.Submission(
        str(transactionId), TransactionKind(body.type.value), Operation.UPDATE, payload
    )
    sync = service.submit(
        session, client_id, str(companyId), [submission], enqueue, item_prefix="Item"
    )
    return SyncInitiated(sync_id=sync.id)


@router.put(
    f"{BASE}/transfer-transactions/{{transactionId}}",
    operation_id="create-transfer-transaction",
    summary="Create or update a transfer transaction",
    tags=["Transfers"],
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def create_transfer_transaction(
    companyId: UUID,  # noqa: N803
    transactionId: UUID,  # noqa: N803
    body: TransferTransactionRequest,
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    transaction_id = str(transactionId)
    already = service.is_posted(session, str(companyId), transaction_id)
    submission = service.Submission(
        transaction_id,
        TransactionKind.TRANSFER,
        Operation.UPDATE if already else Operation.CREATE,
        {"id": transaction_id, **_json(body)},
    )
    sync = service.submit(
        session, client_id, str(companyId), [submission], enqueue, item_prefix="Item"
    )
    return SyncInitiated(sync_id=sync.id)


@router.post(
    f"{BASE}/reimbursable-expense-transactions",
    operation_id="create-reimbursable-expense-transaction",
    summary="Create reimbursable expense transaction",
    tags=["Reimbursements"],
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def create_reimbursable_expense_transactions(
    companyId: UUID,  # noqa: N803
    items: Annotated[list[ReimbursableExpenseTransaction], Body()],
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    submissions = [
        service.Submission(str(i.id), TransactionKind.REIMBURSABLE, Operation.CREATE, _json(i))
        for i in items
    ]
    sync = service.submit(session, client_id, str(companyId), submissions, enqueue)
    return SyncInitiated(sync_id=sync.id)


@router.put(
    f"{BASE}/reimbursable-expense-transactions/{{transactionId}}",
    operation_id="update-reimbursable-expense-transaction",
    summary="Update reimbursable expense transaction",
    tags=["Reimbursements"],
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def update_reimbursable_expense_transaction(
    companyId: UUID,  # noqa: N803
    transactionId: UUID,  # noqa: N803
    body: UpdateReimbursableExpenseTransactionRequest,
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    submission = service.Submission(
        str(transactionId),
        TransactionKind.REIMBURSABLE,
        Operation.UPDATE,
        {"id": str(transactionId), **_json(body)},
    )
    sync = service.submit(
        session, client_id, str(companyId), [submission], enqueue, item_prefix="Item"
    )
    return SyncInitiated(sync_id=sync.id)


@router.post(
    f"{BASE}/adjustment-transactions",
    operation_id="create-adjustment-transaction",
    summary="Create adjustment transaction",
    tags=["Adjustments"],
    response_model=SyncInitiated,
    responses=error_responses(400, 404, 409, 422),
)
def create_adjustment_transactions(
    companyId: UUID,  # noqa: N803
    items: Annotated[list[AdjustmentTransactionRequest], Body()],
    session: SessionDep,
    client_id: ClientIdDep,
    enqueue: EnqueueDep,
) -> SyncInitiated:
    submissions = [
        service.Submission(str(i.id), TransactionKind.ADJUSTMENT, Operation.CREATE, _json(i))
        for i in items
    ]
    sync = service.submit(session, client_id, str(companyId), submissions, enqueue)
    return SyncInitiated(sync_id=sync.id)
