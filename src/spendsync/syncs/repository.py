"""All SQL for syncs and their transactions; every query is scoped to client and company."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from spendsync.syncs.models import PostedTransaction, Sync, SyncTransaction, TransactionStatus


def _syncs(client_id: str, company_id: str) -> Select[Sync]:
    return select(Sync).where(Sync.client_id == client_id, Sync.company_id == company_id)


def get_sync(session: Session, client_id: str, company_id: str, sync_id: str) -> Sync | None:
    return session.scalar(_syncs(client_id, company_id).where(Sync.id == sync_id))


def latest_sync(
    session: Session, client_id: str, company_id: str, *, successful: bool = False
) -> Sync | None:
    query = _syncs(client_id, company_id)
    if successful:
        query = query.where(Sync.status_code.in_((2000, 2040)))
    return session.scalar(query.order_by(Sync.created.desc(), Sync.id.desc()).limit(1))


def list_syncs(session: Session, client_id: str, company_id: str, limit: int) -> Sequence[Sync]:
    return session.scalars(
        _syncs(client_id, company_id).order_by(Sync.created.desc(), Sync.id.desc()).limit(limit)
    ).all()


def _transactions(client_id: str, company_id: str, sync_id: str) -> Select[SyncTransaction]:
    return select(SyncTransaction).where(
        SyncTransaction.client_id == client_id,
        SyncTransaction.company_id == company_id,
        SyncTransaction.sync_id == sync_id,
    )


def page_transactions(
    session: Session, client_id: str, company_id: str, sync_id: str, *, offset: int, limit: int
) -> tuple[list[SyncTransaction], int]:
    query = _transactions(client_id, company_id, sync_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SyncTransaction.position).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def transactions_with_id(
    session: Session, client_id: str, company_id: str, sync_id: str, transaction_id: str
) -> Sequence[SyncTransaction]:
    return session.scalars(
        _transactions(client_id, company_id, sync_id).where(
            SyncTransaction.transaction_id == transaction_id
        )
    ).all()


def posted(
    session: Session, company_id: str, transaction_ids: Sequence[str]
) -> dict[str, PostedTransaction]:
    rows = session.scalars(
        select(PostedTransaction).where(
            PostedTransaction.company_id == company_id,
            PostedTransaction.transaction_id.in_(transaction_ids),
        )
    ).all()
    return {row.transaction_id: row for row in rows}


def in_flight(session: Session, company_id: str, transaction_ids: Sequence[str]) -> set[str]:
    """Ids with a push still pending in some sync of the company."""
    return set(
        session.scalars(
            select(SyncTransaction.transaction_id).where(
                SyncTransaction.company_id == company_id,
                SyncTransaction.transaction_id.in_(transaction_ids),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
        ).all()
    )
