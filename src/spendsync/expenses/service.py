"""Accepting transactions: validate everything first (all problems of a request at once), then
record one sync with its transactions and hand it to the job engine after the commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from spendsync.companies.service import get_company
from spendsync.configuration.models import CompanyConfiguration
from spendsync.connections.service import accounting_connection
from spendsync.connectors.base import TransactionKind as CapabilityKind
from spendsync.connectors.registry import find_platform
from spendsync.db.engine import run_after_commit
from spendsync.errors import BadRequest, Conflict, NotFound, Unprocessable, ValidationItem
from spendsync.expenses import references
from spendsync.expenses.translate import problems_of
from spendsync.syncs import repository as sync_repository
from spendsync.syncs.models import EXPENSE_KINDS, Operation, Sync, SyncTransaction, TransactionKind

MAX_ITEMS = 50
INVALID_REQUEST = (
    "There are problems with the request, see the Validation property for more detail."
)

Enqueue = Callable[[str, str], None]


@dataclass(frozen=True)
class Submission:
    """One transaction of a request, already parsed into its API model and dumped to JSON."""

    transaction_id: str
    kind: TransactionKind
    operation: Operation
    payload: dict[str, Any]


_CAPABILITY_NAMES = {
    TransactionKind.PAYMENT: "Payment expense transactions",
    TransactionKind.REFUND: "Refund expense transactions",
    TransactionKind.REWARD: "Reward expense transactions",
    TransactionKind.CHARGEBACK: "Chargeback expense transactions",
    TransactionKind.TRANSFER: "Transfer transactions",
    TransactionKind.REIMBURSABLE: "Reimbursable expense transactions",
    TransactionKind.ADJUSTMENT: "Adjustment transactions",
}


def _check_capabilities(platform_key: str, submissions: Sequence[Submission]) -> None:
    platform = find_platform(platform_key)
    if platform is None:
        raise Unprocessable(f"Unknown platform {platform_key}.")
    for submission in submissions:
        support = platform.capabilities.supports(CapabilityKind(submission.kind.value))
        what = _CAPABILITY_NAMES[submission.kind]
        if support is None or not support.create:
            raise Unprocessable(f"{what} are not supported by {platform.name}.")
        if submission.operation is Operation.UPDATE and not support.update:
            raise Unprocessable(f"Updates of {what.lower()} are not supported by {platform.name}.")


def submit(
    session: Session,
    client_id: str,
    company_id: str,
    submissions: Sequence[Submission],
    enqueue: Enqueue,
    *,
    item_prefix: str = "Items",
) -> Sync:
    """Validate, then store one sync for `submissions`; it is enqueued after the commit."""
    get_company(session, client_id, company_id)
    connection = accounting_connection(session, client_id, company_id)
    if not 1 <= len(submissions) <= MAX_ITEMS:
        raise BadRequest(
            INVALID_REQUEST,
            errors=[ValidationItem(item_prefix, f"Send between 1 and {MAX_ITEMS} transactions.")],
        )
    _check_capabilities(connection.platform_key, submissions)

    config = session.get(CompanyConfiguration, company_id)
    submissions = [
        replace(
            s, payload=references.apply_defaults(s.kind, s.payload, config, connection.platform_key)
        )
        for s in submissions
    ]
    reference_data = references.load(session, connection)
    problems: list[ValidationItem] = []
    seen: set[str] = set()
    for index, submission in enumerate(submissions):
        where = f"{item_prefix}[{index}]" if item_prefix == "Items" else item_prefix
        if submission.transaction_id in seen:
            problems.append(
                ValidationItem(
                    f"{where}.Id", f"Transaction {submission.transaction_id} appears twice."
                )
            )
        seen.add(submission.transaction_id)
        problems.extend(
            ValidationItem(f"{where}.{p.item_id}", p.message, "Transaction")
            for p in problems_of(submission.kind, submission.transaction_id, submission.payload)
        )
        problems.extend(
            ValidationItem(f"{where}.{p.item_id}", p.message, "LedgerReference")
            for p in references.check(reference_data, submission.kind, submission.payload)
        )
    if problems:
        raise BadRequest(INVALID_REQUEST, errors=problems)

    ids = [s.transaction_id for s in submissions]
    posted = sync_repository.posted(session, company_id, ids)
    creates_done = [
        s.transaction_id
        for s in submissions
        if s.operation is Operation.CREATE and s.transaction_id in posted
    ]
    if creates_done:
        raise BadRequest(
            "One or more transactions have previously been processed: " + ", ".join(creates_done),
            detailed_error_code=5080,
        )
    for submission in submissions:
        if submission.operation is Operation.UPDATE:
            entry = posted.get(submission.transaction_id)
            if entry is None:
                raise NotFound(
                    f"Transaction {submission.transaction_id} has not been written to the ledger "
                    "yet, so there is nothing to update."
                )
            if (
                entry.kind is not submission.kind
                and not {entry.kind, submission.kind} <= EXPENSE_KINDS
            ):
                raise BadRequest(
                    f"Transaction {submission.transaction_id} is a {entry.kind.value}; it cannot "
                    f"be updated as a {submission.kind.value}."
                )
    busy = sync_repository.in_flight(session, company_id, ids)
    if busy:
        raise Conflict(
            "These transactions are still being written by an earlier sync; wait for it to end: "
            + ", ".join(sorted(busy))
        )

    sync = Sync(client_id=client_id, company_id=company_id, connection_id=connection.id)
    session.add(sync)
    session.flush()
    for position, submission in enumerate(submissions):
        session.add(
            SyncTransaction(
                client_id=client_id,
                company_id=company_id,
                sync_id=sync.id,
                position=position,
                transaction_id=submission.transaction_id,
                kind=submission.kind,
                operation=submission.operation,
                payload=submission.payload,
            )
        )
    session.flush()
    sync_id = sync.id
    run_after_commit(session, lambda: enqueue(sync_id, company_id))
    return sync


def is_posted(session: Session, company_id: str, transaction_id: str) -> bool:
    return bool(sync_repository.posted(session, company_id, [transaction_id]))
