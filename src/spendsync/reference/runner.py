"""Running one pull operation: read a data type from the ledger and bring the cache in step.

A complete read replaces the set (records missing from it are marked deleted, so configured
defaults or mapped ids that disappear are noticed); an incremental read (only changes since the
last successful pull, where the platform supports it) upserts what changed.
"""

from __future__ import annotations

from contextlib import closing

from sqlalchemy import select
from sqlalchemy.orm import Session

from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.errors import AuthFailure, NotSupported, Transient
from spendsync.connectors.reference import ReferenceDataType
from spendsync.connectors.registry import open_ledger
from spendsync.db.base import utcnow
from spendsync.reference.models import PullOperation, PullStatus, ReferenceRecord
from spendsync.reference.repository import reference_changed, save_record


def _finish(pull: PullOperation, status: PullStatus, message: str | None = None) -> None:
    pull.status = status
    pull.error_message = message
    pull.completed = utcnow()
    pull.progress = 100


def _last_success(session: Session, pull: PullOperation) -> PullOperation | None:
    return session.scalar(
        select(PullOperation)
        .where(
            PullOperation.connection_id == pull.connection_id,
            PullOperation.data_type == pull.data_type,
            PullOperation.status == PullStatus.COMPLETE,
        )
        .order_by(PullOperation.requested.desc())
        .limit(1)
    )


def run_pull(context: LedgerContext, pull_id: str) -> None:
    with context.session_factory() as session:
        pull = session.get(PullOperation, pull_id)
        if pull is None or pull.completed is not None:
            return
        connection = session.get(Connection, pull.connection_id)
        if connection is None or connection.status is not ConnectionStatus.LINKED:
            _finish(pull, PullStatus.AUTH_ERROR, "The accounting connection is not linked.")
            session.commit()
            return
        data_type = ReferenceDataType(pull.data_type)
        previous = _last_success(session, pull)
        pull.status = PullStatus.FETCHING
        session.commit()
        try:
            with closing(open_ledger(connection, context)) as ledger:
                read = ledger.read(data_type, previous.requested if previous is not None else None)
                if data_type is ReferenceDataType.CHART_OF_ACCOUNTS:
                    # Accounts are judged against the base currency: keep it with them.
                    base = ledger.get_company_info().base_currency
                    connection.connection_info = {
                        **(connection.connection_info or {}),
                        "baseCurrency": base,
                    }
        except Transient:
            pull.status = PullStatus.QUEUED
            session.commit()
            raise  # the job engine retries with backoff
        except AuthFailure as exc:
            connection.status = ConnectionStatus.DEAUTHORIZED
            _finish(pull, PullStatus.AUTH_ERROR, str(exc))
            session.commit()
            return
        except NotSupported as exc:
            _finish(pull, PullStatus.NOT_SUPPORTED, str(exc))
            session.commit()
            return

        existing = {
            row.platform_id: row
            for row in session.scalars(
                select(ReferenceRecord).where(
                    ReferenceRecord.connection_id == connection.id,
                    ReferenceRecord.data_type == data_type.value,
                )
            )
        }
        now = utcnow()
        seen: set[str] = set()
        for record in read.records:
            seen.add(record.id)
            save_record(session, connection, data_type, record, existing.get(record.id), now)
        if read.complete:
            for platform_id, row in existing.items():
                if platform_id not in seen and not row.is_deleted:
                    row.is_deleted = True
                    row.modified = now
        pull.records_read = len(read.records)
        _finish(pull, PullStatus.COMPLETE)
        reference_changed(session, connection.id)
        session.commit()


def fail_pull(context: LedgerContext, pull_id: str, message: str) -> None:
    with context.session_factory() as session:
        pull = session.get(PullOperation, pull_id)
        if pull is not None and pull.completed is None:
            status = (
                PullStatus.RATE_LIMIT_ERROR
                if "rate limit" in message.lower()
                else PullStatus.FETCH_ERROR
            )
            _finish(pull, status, message)
            session.commit()
