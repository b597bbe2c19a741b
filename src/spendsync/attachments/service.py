"""Uploading an attachment: the transaction must have been written by the sync named in the
path; the platform must take files for that kind of transaction; the bytes must be what their
name says and within the platform's size limit. The file is stored before it is uploaded, so
an upload the platform refuses for a passing reason can simply be sent again."""

from __future__ import annotations

import hashlib
from contextlib import closing
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from spendsync.attachments.models import Attachment
from spendsync.attachments.sniffing import RejectedFile, sniff
from spendsync.attachments.storage import AttachmentStorage
from spendsync.connections.service import accounting_connection
from spendsync.connectors.base import LedgerContext, PlatformRecord
from spendsync.connectors.base import TransactionKind as CapabilityKind
from spendsync.connectors.errors import ConnectorError
from spendsync.connectors.registry import find_platform, open_ledger
from spendsync.errors import BadRequest, Conflict, PayloadTooLarge, Unprocessable
from spendsync.syncs.models import SyncTransaction, TransactionStatus
from spendsync.syncs.service import get_sync


def _safe_name(file_name: str) -> str:
    name = PurePath(file_name.replace("\\", "/")).name.strip()
    if not name or name in (".", ".."):
        raise BadRequest("The uploaded file needs a name.")
    return name[:255]


def upload_attachment(
    session: Session,
    context: LedgerContext,
    storage: AttachmentStorage,
    client_id: str,
    company_id: str,
    sync_id: str,
    transaction_id: str,
    file_name: str,
    content: bytes,
) -> Attachment:
    get_sync(session, client_id, company_id, sync_id)
    row = session.scalar(
        select(SyncTransaction).where(
            SyncTransaction.client_id == client_id,
            SyncTransaction.sync_id == sync_id,
            SyncTransaction.transaction_id == transaction_id,
        )
    )
    if row is None:
        raise BadRequest(f"Transaction {transaction_id} is not part of sync {sync_id}.")
    if row.status is not TransactionStatus.COMPLETED or row.platform_record_id is None:
        raise Conflict(
            f"Transaction {transaction_id} is {row.status.value} in sync {sync_id}; attach files "
            "once it is Completed."
        )
    connection = accounting_connection(session, client_id, company_id)
    platform = find_platform(connection.platform_key)
    assert platform is not None
    support = platform.capabilities.supports(CapabilityKind(row.kind.value))
    if support is None or not support.attachments:
        raise Unprocessable(
            f"{platform.name} does not take attachments on {row.kind.value} transactions."
        )
    limit = platform.capabilities.max_attachment_bytes
    if limit is not None and len(content) > limit:
        raise PayloadTooLarge(
            f"The file is {len(content)} bytes; {platform.name} takes at most {limit} bytes."
        )
    name = _safe_name(file_name)
    try:
        content_type = sniff(name, content)
    except RejectedFile as exc:
        raise BadRequest(str(exc)) from exc

    attachment = Attachment(
        client_id=client_id,
        company_id=company_id,
        sync_id=sync_id,
        transaction_id=transaction_id,
        file_name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key="",
    )
    attachment.storage_key = f"{company_id}/{attachment.id}/{name}"
    storage.save(attachment.storage_key, content)
    session.add(attachment)
    session.flush()

    record = PlatformRecord(row.platform_record_type or "", row.platform_record_id)
    # The platform gets the stored bytes, read back: what it holds is what we keep.
    stored = storage.load(attachment.storage_key)
    try:
        with closing(open_ledger(connection, context)) as ledger:
            attachment.platform_attachment_id = ledger.attach(record, name, content_type, stored)
    except ConnectorError as exc:
        attachment.error_message = str(exc)
        session.commit()  # keep the stored file and its record: the upload can be repeated
        raise
    return attachment
