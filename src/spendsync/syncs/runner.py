"""Running one sync, as plain functions over a session factory (tests call them directly; the
job engine wraps each in a checkpointed step, see tasks.py).

    start_sync   → decides the batches (or fails the whole sync for a missing/unlinked ledger)
    push_batch   → writes one batch through the connector, records each item's outcome
    fail_batch   → the platform stayed unavailable: the batch's items fail with its message
    finish_sync  → the sync's code: 2000 when every item completed, 5130 when any failed

Each function commits its own small transaction, so progress survives a crash between steps.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from contextlib import closing

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from spendsync.connections.models import Connection, ConnectionStatus, SourceType
from spendsync.connectors.base import (
    LedgerContext,
    PlatformRecord,
    PushItem,
    PushOperation,
)
from spendsync.connectors.base import TransactionKind as ConnectorKind
from spendsync.connectors.errors import AuthFailure, NotSupported
from spendsync.connectors.registry import find_platform, open_ledger
from spendsync.db.base import utcnow
from spendsync.expenses.translate import to_document
from spendsync.observability.logs import log_context
from spendsync.observability.metrics import SYNCS_COMPLETED, TRANSACTIONS_PUSHED
from spendsync.syncs.models import (
    Operation,
    PostedTransaction,
    Sync,
    SyncStatusCode,
    SyncTransaction,
    TransactionStatus,
)
from spendsync.webhooks.service import record_sync_event

logger = logging.getLogger("spendsync.syncs")


def idempotency_key(company_id: str, row: SyncTransaction) -> str:
    """Stable for one write of one transaction (≤ 50 chars, QBO's `requestid` limit)."""
    digest = hashlib.sha256(f"{company_id}:{row.sync_id}:{row.transaction_id}".encode())
    return digest.hexdigest()[:40]


def _accounting_connection(session: Session, company_id: str) -> Connection | None:
    return session.scalar(
        select(Connection)
        .where(Connection.company_id == company_id, Connection.source_type == SourceType.ACCOUNTING)
        .order_by(Connection.created)
        .limit(1)
    )


def _pending(
    session: Session, sync_id: str, row_ids: Sequence[str] | None = None
) -> list[SyncTransaction]:
    query = select(SyncTransaction).where(
        SyncTransaction.sync_id == sync_id, SyncTransaction.status == TransactionStatus.PENDING
    )
    if row_ids is not None:
        query = query.where(SyncTransaction.id.in_(row_ids))
    return list(session.scalars(query.order_by(SyncTransaction.position)))


def _fail_items(rows: Sequence[SyncTransaction], status: TransactionStatus, message: str) -> None:
    now = utcnow()
    for row in rows:
        row.status = status
        row.message = message
        row.updated = now


def _set_outcome(sync: Sync, code: SyncStatusCode, status: str, message: str | None) -> None:
    sync.status_code = code
    sync.status = status
    sync.error_message = message


def _count_pushed(platform_key: str, rows: Sequence[SyncTransaction]) -> None:
    """Count a batch's outcomes once its commit succeeded."""
    for status, count in Counter(row.status.value for row in rows).items():
        TRANSACTIONS_PUSHED.labels(platform_key, status).inc(count)


def start_sync(context: LedgerContext, sync_id: str) -> list[list[str]]:
    with log_context(sync_id=sync_id) as log_fields, context.session_factory() as session:
        sync = session.get(Sync, sync_id)
        if sync is None or sync.completed is not None:
            return []  # the company was deleted, or a recovered workflow finds it done
        log_fields["company_id"] = sync.company_id
        connection = _accounting_connection(session, sync.company_id)
        pending = _pending(session, sync_id)
        if connection is None or connection.status is not ConnectionStatus.LINKED:
            state = "no accounting connection" if connection is None else connection.status.value
            message = f"The company's accounting connection is {state}; nothing was written."
            _fail_items(pending, TransactionStatus.PUSH_ERROR, message)
            _set_outcome(sync, SyncStatusCode.COMPANY_DEAUTHORIZED, "Deauthorized", message)
            session.commit()
            logger.warning("sync not started: %s", message)
            return []
        try:
            with closing(open_ledger(connection, context)) as ledger:
                batch_size = ledger.max_batch_size
        except NotSupported as exc:
            _fail_items(pending, TransactionStatus.PUSH_ERROR, str(exc))
            _set_outcome(sync, SyncStatusCode.CONFIGURATION_ERROR, "ConfigurationError", str(exc))
            session.commit()
            logger.warning("sync not started: %s", exc)
            return []
        sync.connection_id = connection.id
        sync.started = sync.started or utcnow()
        sync.status = "Pushing"
        session.commit()
        ids = [row.id for row in pending]
        logger.info(
            "sync started: %d transactions to %s in batches of %d",
            len(ids),
            connection.platform_key,
            batch_size,
        )
        return [ids[i : i + batch_size] for i in range(0, len(ids), max(1, batch_size))]


def push_batch(context: LedgerContext, sync_id: str, row_ids: Sequence[str]) -> None:
    with log_context(sync_id=sync_id) as log_fields, context.session_factory() as session:
        sync = session.get(Sync, sync_id)
        rows = _pending(session, sync_id, row_ids)
        if sync is None or not rows:
            return
        log_fields["company_id"] = sync.company_id
        connection = _accounting_connection(session, sync.company_id)
        if connection is None or connection.status is not ConnectionStatus.LINKED:
            _fail_items(
                rows, TransactionStatus.PUSH_ERROR, "The accounting connection was unlinked."
            )
            session.commit()
            logger.warning("batch of %d not pushed: the connection was unlinked", len(rows))
            return
        platform = find_platform(connection.platform_key)
        posted = {
            p.transaction_id: p
            for p in session.scalars(
                select(PostedTransaction).where(
                    PostedTransaction.company_id == sync.company_id,
                    PostedTransaction.transaction_id.in_([r.transaction_id for r in rows]),
                )
            )
        }
        items: list[PushItem] = []
        for row in rows:
            previous = posted.get(row.transaction_id)
            items.append(
                PushItem(
                    transaction_id=row.transaction_id,
                    kind=ConnectorKind(row.kind.value),
                    operation=PushOperation(row.operation.value),
                    document=to_document(row.kind, row.transaction_id, row.payload),
                    existing=PlatformRecord(
                        previous.platform_record_type,
                        previous.platform_record_id,
                        previous.platform_version,
                    )
                    if previous is not None and row.operation is Operation.UPDATE
                    else None,
                    idempotency_key=idempotency_key(sync.company_id, row),
                )
            )
        try:
            with closing(open_ledger(connection, context)) as ledger:
                outcomes = {o.transaction_id: o for o in ledger.push(items)}
        except AuthFailure as exc:
            connection.status = ConnectionStatus.DEAUTHORIZED
            message = f"The platform refused our access: {exc}"
            _fail_items(rows, TransactionStatus.PUSH_ERROR, message)
            _set_outcome(sync, SyncStatusCode.COMPANY_DEAUTHORIZED, "Deauthorized", message)
            session.commit()
            _count_pushed(connection.platform_key, rows)
            logger.warning("batch of %d not pushed: %s", len(rows), message)
            return
        except NotSupported as exc:
            _fail_items(rows, TransactionStatus.PUSH_ERROR, str(exc))
            session.commit()
            _count_pushed(connection.platform_key, rows)
            logger.warning("batch of %d not pushed: %s", len(rows), exc)
            return
        now = utcnow()
        for row in rows:
            outcome = outcomes.get(row.transaction_id)
            if outcome is None or (outcome.record is None and outcome.rejection is None):
                row.status = TransactionStatus.PUSH_ERROR
                row.message = "The connector returned no outcome for this transaction."
            elif outcome.record is None:
                row.status = TransactionStatus.PUSH_ERROR
                row.message = outcome.rejection
            else:
                record = outcome.record
                row.status = TransactionStatus.COMPLETED
                row.platform_record_type = record.record_type
                row.platform_record_id = record.record_id
                name = platform.name if platform else connection.platform_key
                row.message = f"{record.record_type} {record.record_id} written to {name}."
                entry = posted.get(row.transaction_id)
                if entry is None:
                    entry = PostedTransaction(
                        company_id=sync.company_id,
                        transaction_id=row.transaction_id,
                        client_id=sync.client_id,
                        kind=row.kind,
                        platform_key=connection.platform_key,
                        platform_record_type=record.record_type,
                        platform_record_id=record.record_id,
                        last_sync_id=sync.id,
                    )
                    session.add(entry)
                entry.platform_record_type = record.record_type
                entry.platform_record_id = record.record_id
                entry.platform_version = record.version
                entry.last_sync_id = sync.id
                entry.updated = now
                sync.data_pushed = True
            row.updated = now
        session.commit()
        _count_pushed(connection.platform_key, rows)
        logger.info(
            "batch pushed to %s: %d completed, %d refused",
            connection.platform_key,
            sum(row.status is TransactionStatus.COMPLETED for row in rows),
            sum(row.status is not TransactionStatus.COMPLETED for row in rows),
        )


def fail_batch(
    factory: sessionmaker[Session], sync_id: str, row_ids: Sequence[str], message: str
) -> None:
    with log_context(sync_id=sync_id), factory() as session:
        rows = _pending(session, sync_id, row_ids)
        _fail_items(rows, TransactionStatus.PUSH_ERROR, message)
        sync = session.get(Sync, sync_id)
        connection = _accounting_connection(session, sync.company_id) if sync else None
        session.commit()
        if connection is not None:
            _count_pushed(connection.platform_key, rows)
        logger.warning("batch of %d failed: %s", len(rows), message)


def finish_sync(factory: sessionmaker[Session], sync_id: str) -> list[str]:
    """End the sync and record its webhook event; returns the deliveries to make."""
    with log_context(sync_id=sync_id) as log_fields, factory() as session:
        sync = session.get(Sync, sync_id)
        if sync is None or sync.completed is not None:
            return []
        log_fields["company_id"] = sync.company_id
        rows = list(
            session.scalars(select(SyncTransaction).where(SyncTransaction.sync_id == sync_id))
        )
        failed = [r for r in rows if r.status is not TransactionStatus.COMPLETED]
        _fail_items(
            [r for r in failed if r.status is TransactionStatus.PENDING],
            TransactionStatus.PUSH_ERROR,
            "The sync ended before this transaction was written.",
        )
        if sync.status_code != SyncStatusCode.IN_PROGRESS:
            pass  # start_sync already decided (no linked ledger, no connector)
        elif failed:
            message = f"{len(failed)} of {len(rows)} transactions failed to write: " + "; ".join(
                f"{r.transaction_id}: {r.message}" for r in failed[:5]
            )
            _set_outcome(sync, SyncStatusCode.DATA_WRITE_ERROR, "PushError", message)
        elif rows:
            _set_outcome(sync, SyncStatusCode.SUCCESS_DATA_WRITTEN, "Complete", None)
        else:
            _set_outcome(sync, SyncStatusCode.SUCCESS_NO_DATA, "Complete", None)
        sync.completed = utcnow()
        deliveries = record_sync_event(session, sync)
        session.commit()
        SYNCS_COMPLETED.labels(str(sync.status_code), sync.status).inc()
        logger.info("sync finished: %s %s", sync.status_code, sync.status)
        return deliveries
