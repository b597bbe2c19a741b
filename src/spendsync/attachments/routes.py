from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import ConfigDict

from spendsync.api.deps import ClientIdDep, LedgerContextDep, SessionDep
from spendsync.api.responses import error_responses
from spendsync.api.schema import CamelModel
from spendsync.attachments import service
from spendsync.attachments.storage import AttachmentStorage

router = APIRouter(tags=["Attachments"])


class Attachment(CamelModel):
    model_config = ConfigDict(title="Attachment")

    company_id: str
    id: str
    transaction_id: str


@router.post(
    "/companies/{companyId}/sync/expenses/syncs/{syncId}/transactions/{transactionId}/attachments",
    operation_id="upload-expense-attachment",
    summary="Upload attachment",
    response_model=Attachment,
    responses=error_responses(400, 404, 409, 413, 422),
)
async def upload_expense_attachment(
    request: Request,
    companyId: UUID,  # noqa: N803 - Codat's parameter name
    syncId: UUID,  # noqa: N803
    transactionId: UUID,  # noqa: N803
    file: Annotated[UploadFile, File(description="The file to attach.")],
    session: SessionDep,
    client_id: ClientIdDep,
    context: LedgerContextDep,
) -> Attachment:
    content = await file.read()
    storage: AttachmentStorage = request.app.state.attachment_storage
    from starlette.concurrency import run_in_threadpool

    row = await run_in_threadpool(
        service.upload_attachment,
        session,
        context,
        storage,
        client_id,
        str(companyId),
        str(syncId),
        str(transactionId),
        file.filename or "",
        content,
    )
    return Attachment(
        company_id=row.company_id,
        id=row.platform_attachment_id or row.id,
        transaction_id=row.transaction_id,
    )
