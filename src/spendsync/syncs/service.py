"""Reading sync and transaction status (Codat's `…/sync/expenses/syncs/…` endpoints)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from spendsync.api.paging import PageParams
from spendsync.companies.service import get_company
from spendsync.errors import NotFound
from spendsync.syncs import repository
from spendsync.syncs.models import Sync, SyncTransaction

MAX_LISTED_SYNCS = 500


def get_sync(session: Session, client_id: str, company_id: str, sync_id: str) -> Sync:
    get_company(session, client_id, company_id)
    sync = repository.get_sync(session, client_id, company_id, sync_id)
    if sync is None:
        raise NotFound(f"No sync was found with ID {sync_id} for company {company_id}")
    return sync


def latest_sync(
    session: Session, client_id: str, company_id: str, *, successful: bool = False
) -> Sync:
    get_company(session, client_id, company_id)
    sync = repository.latest_sync(session, client_id, company_id, successful=successful)
    if sync is None:
        which = "successful sync" if successful else "sync"
        raise NotFound(f"No {which} was found for company {company_id}")
    return sync


def list_syncs(session: Session, client_id: str, company_id: str) -> Sequence[Sync]:
    """Newest first; Codat returns a plain array without paging, so the list is capped."""
    get_company(session, client_id, company_id)
    return repository.list_syncs(session, client_id, company_id, MAX_LISTED_SYNCS)


def list_sync_transactions(
    session: Session, client_id: str, company_id: str, sync_id: str, params: PageParams
) -> tuple[list[SyncTransaction], int]:
    get_sync(session, client_id, company_id, sync_id)
    return repository.page_transactions(
        session, client_id, company_id, sync_id, offset=params.offset, limit=params.page_size
    )


def get_sync_transaction(
    session: Session, client_id: str, company_id: str, sync_id: str, transaction_id: str
) -> Sequence[SyncTransaction]:
    get_sync(session, client_id, company_id, sync_id)
    rows = repository.transactions_with_id(session, client_id, company_id, sync_id, transaction_id)
    if not rows:
        raise NotFound(f"No transaction {transaction_id} was found in sync {sync_id}")
    return rows
