"""Running a company's syncs, as plain functions over a session factory (tests call them
directly; the job engine wraps each in a checkpointed step, see tasks.py).

A sync's workflow drains its company's queue, not only its own sync: one writer per company
(the queue runs one workflow per company at a time), but that writer fills the platform.

    claim_syncs   → takes the company's unstarted syncs (its own first) up to a round's worth of
                    items, or fails them all for a missing/unlinked ledger
    push_claimed  → writes their pending items in platform-sized batches, up to the platform's
                    concurrent-call limit in flight, taking in the syncs that arrive meanwhile
                    (a burst of syncs goes out in full batches); each batch is retried alone
                    while the platform is briefly away, then fails alone with its message
    push_batch    → notes which request the batch's items go out in, writes it through the
                    connector, records each item's outcome, and finishes the syncs it wrote
                    the last items of (their status need not wait for the round's end)
    fail_pending  → what is still pending in the claimed syncs fails with a message
    finish_syncs  → each sync still open gets its code: 2000 when every item completed, 5130
                    when any failed

The workflow of a sync that another workflow claimed finds nothing of its own to do and drains
whatever arrived since. Each function commits its own small transactions, so progress survives
a crash between steps; no database connection is held while a platform call is in flight.

Platforms make a write safe to repeat per request (Xero's Idempotency-Key, QBO's batch
requestid), and connectors derive that key from the request's items. So an item that went out
in a request whose answer was never recorded (the worker died) goes again only in that same
request, with the same members in the same order: a replay, never a second write.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing, suppress
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from spendsync.connections.models import Connection, ConnectionStatus, SourceType
from spendsync.connectors.base import (
    LedgerContext,
    LinkedLedger,
    PlatformRecord,
    PushItem,
    PushOperation,
    PushOutcome,
)
from spendsync.connectors.base import TransactionKind as ConnectorKind
from spendsync.connectors.errors import AuthFailure, NotSupported, Transient
from spendsync.connectors.registry import find_platform, open_ledger
from spendsync.db.base import new_id, utcnow
from spendsync.db.errors import database_unavailable
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

# Unstarted syncs of a company looked at per claim.
CLAIM_WINDOW = 200
# While a round writes, the company's newly queued syncs are looked for this often, and a
# batch that is not full waits for them until none has arrived for ARRIVALS_QUIET_SECONDS.
ARRIVALS_POLL_SECONDS = 0.05
ARRIVALS_QUIET_SECONDS = 0.1
# A batch the platform keeps refusing for now is tried this many times, 1 s, 2 s, 4 s … apart.
PUSH_ATTEMPTS = 8
PUSH_MAX_WAIT_SECONDS = 64.0


def idempotency_key(company_id: str, row: SyncTransaction) -> str:
    """Stable for one write of one transaction (≤ 50 chars, QBO's `requestid` limit)."""
    digest = hashlib.sha256(f"{company_id}:{row.sync_id}:{row.transaction_id}".encode())
    return digest.hexdigest()[:40]


def is_transient(exc: BaseException) -> bool:
    """The platform or our own database is away for now: worth trying again later."""
    return isinstance(exc, Transient) or database_unavailable(exc)


def retry_wait(state: RetryCallState) -> float:
    """1 s, 2 s, 4 s … or the platform's Retry-After (its budget opens then) when longer; at
    most PUSH_MAX_WAIT_SECONDS."""
    exc = state.outcome.exception() if state.outcome is not None else None
    after = exc.retry_after if isinstance(exc, Transient) and exc.retry_after else 0.0
    backoff = 2.0 ** (state.attempt_number - 1)
    return min(max(backoff, after), PUSH_MAX_WAIT_SECONDS)


def _accounting_connection(session: Session, company_id: str) -> Connection | None:
    return session.scalar(
        select(Connection)
        .where(Connection.company_id == company_id, Connection.source_type == SourceType.ACCOUNTING)
        .order_by(Connection.created)
        .limit(1)
    )


def _pending_in(session: Session, sync_ids: Sequence[str]) -> list[SyncTransaction]:
    """Pending items of these syncs, in the order the syncs were created, then their own."""
    return list(
        session.scalars(
            select(SyncTransaction)
            .join(Sync, Sync.id == SyncTransaction.sync_id)
            .where(
                SyncTransaction.sync_id.in_(sync_ids),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
            .order_by(Sync.created, Sync.id, SyncTransaction.position)
        )
    )


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


# -- claiming ---------------------------------------------------------------------------


def choose_round(
    runner_id: str,
    candidates: Sequence[Sync],
    pending: dict[str, list[str]],
    capacity: int,
    *,
    taken: Collection[str] = (),
    items: int = 0,
) -> list[str]:
    """Which candidates one round takes: the runner's own sync first, then the others in the
    order they were created while the items fit. The round stops before a sync that writes a
    transaction already in it (an update must follow the write it changes). A round under way
    (`taken`: the transactions it writes, `items`: how many) takes only what fits beside them;
    a new one always takes its first sync, however large."""
    ordered = sorted(candidates, key=lambda sync: sync.id != runner_id)
    chosen: list[str] = []
    seen: set[str] = set(taken)
    for sync in ordered:
        ids = pending.get(sync.id, [])
        started = bool(chosen or seen or items)
        if started and (items + len(ids) > capacity or seen.intersection(ids)):
            break
        chosen.append(sync.id)
        seen.update(ids)
        items += len(ids)
    return chosen


def round_capacity(ledger: LinkedLedger) -> int:
    """The items one round may take: a full batch for each call the connector gives a round
    (about a third of a minute's worth at the platform's rate limit). Long rounds delay no
    status (each sync finishes as soon as its own items are recorded) and keep the round ends,
    where the next claim waits on the database, rare."""
    return ledger.max_batch_size * max(1, ledger.round_calls)


def _queued(
    session: Session, company_id: str, runner_id: str, *, own_too: bool
) -> tuple[list[Sync], dict[str, list[str]]]:
    """The company's unfinished syncs nobody else has claimed (with `own_too`, also those this
    runner claimed before), oldest first, and the transactions each still has to write."""
    unclaimed = Sync.runner_id.is_(None)
    candidates = list(
        session.scalars(
            select(Sync)
            .where(
                Sync.company_id == company_id,
                Sync.completed.is_(None),
                or_(unclaimed, Sync.runner_id == runner_id) if own_too else unclaimed,
            )
            .order_by(Sync.created, Sync.id)
            .limit(CLAIM_WINDOW)
        )
    )
    pending: dict[str, list[str]] = defaultdict(list)
    if candidates:
        for sync_id, transaction_id in session.execute(
            select(SyncTransaction.sync_id, SyncTransaction.transaction_id).where(
                SyncTransaction.sync_id.in_([sync.id for sync in candidates]),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
        ):
            pending[sync_id].append(transaction_id)
    return candidates, pending


def _claim(
    session: Session, runner_id: str, chosen: Sequence[str], connection_id: str | None
) -> list[str]:
    """Mark `chosen` as this runner's; those really claimed (another claim may have won some,
    only if the queue ever let two workflows of a company run at once)."""
    session.execute(
        update(Sync)
        .where(
            Sync.id.in_(chosen),
            Sync.completed.is_(None),
            or_(Sync.runner_id.is_(None), Sync.runner_id == runner_id),
        )
        .values(
            runner_id=runner_id,
            started=func.coalesce(Sync.started, utcnow()),
            status="Pushing",
            connection_id=connection_id if connection_id is not None else Sync.connection_id,
        )
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(Sync.id).where(
                Sync.id.in_(chosen), Sync.runner_id == runner_id, Sync.completed.is_(None)
            )
        )
    )


def _log_started(
    claimed: Sequence[str], pending: dict[str, list[str]], platform_key: str, runner_id: str
) -> None:
    for sync_id in claimed:
        with log_context(sync_id=sync_id):
            logger.info(
                "sync started: %d transactions to %s (run by %s)",
                len(pending.get(sync_id, [])),
                platform_key,
                runner_id,
            )


def claim_syncs(context: LedgerContext, runner_id: str) -> list[str]:
    """Take the next round of the company's syncs for the workflow `runner_id`; [] when there
    is none. Syncs this runner claimed before a crash are taken again."""
    with log_context(sync_id=runner_id) as log_fields, context.session_factory() as session:
        own = session.get(Sync, runner_id)
        if own is None:
            return []  # the company was deleted
        company_id = own.company_id
        log_fields["company_id"] = company_id
        candidates, pending = _queued(session, company_id, runner_id, own_too=True)
        if not candidates:
            return []
        connection = _accounting_connection(session, company_id)
        refusal: tuple[SyncStatusCode, str, str] | None = None
        capacity = 0
        if connection is None or connection.status is not ConnectionStatus.LINKED:
            state = "no accounting connection" if connection is None else connection.status.value
            message = f"The company's accounting connection is {state}; nothing was written."
            refusal = (SyncStatusCode.COMPANY_DEAUTHORIZED, "Deauthorized", message)
        else:
            try:
                with closing(open_ledger(connection, context)) as ledger:
                    capacity = round_capacity(ledger)
            except NotSupported as exc:
                refusal = (SyncStatusCode.CONFIGURATION_ERROR, "ConfigurationError", str(exc))
        chosen = (
            [sync.id for sync in candidates]
            if refusal is not None
            else choose_round(runner_id, candidates, pending, capacity)
        )
        claimed = _claim(session, runner_id, chosen, connection.id if connection else None)
        if refusal is not None:
            code, status, message = refusal
            session.expire_all()
            for sync in session.scalars(select(Sync).where(Sync.id.in_(claimed))):
                _set_outcome(sync, code, status, message)
            _fail_items(_pending_in(session, claimed), TransactionStatus.PUSH_ERROR, message)
            logger.warning("%d syncs not started: %s", len(claimed), message)
        session.commit()
        if refusal is None:
            assert connection is not None
            _log_started(claimed, pending, connection.platform_key, runner_id)
        return claimed


# -- pushing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """One batch read from the database, ready to send (no session held)."""

    connection: Connection
    platform_name: str
    items: list[PushItem]
    row_ids: list[str]


def _prepare(session: Session, row_ids: Sequence[str]) -> _Prepared | str | None:
    """The batch's items; a message when the connection can no longer take them; None when
    nothing in it is pending any more."""
    rows = list(
        session.scalars(
            select(SyncTransaction)
            .join(Sync, Sync.id == SyncTransaction.sync_id)
            .where(
                SyncTransaction.id.in_(row_ids),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
            # The same members always in the same order: connectors derive a request's
            # idempotency key from its items' keys, in order.
            .order_by(Sync.created, Sync.id, SyncTransaction.position)
        )
    )
    if not rows:
        return None
    company_id = rows[0].company_id
    connection = _accounting_connection(session, company_id)
    if connection is None or connection.status is not ConnectionStatus.LINKED:
        return "The accounting connection was unlinked."
    platform = find_platform(connection.platform_key)
    posted = {
        p.transaction_id: p
        for p in session.scalars(
            select(PostedTransaction).where(
                PostedTransaction.company_id == company_id,
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
                idempotency_key=idempotency_key(company_id, row),
            )
        )
    return _Prepared(
        connection=connection,
        platform_name=platform.name if platform else connection.platform_key,
        items=items,
        row_ids=[row.id for row in rows],
    )


def _record_request(session: Session, row_ids: Sequence[str]) -> None:
    """Note, before the call leaves, which request the batch's items go out in (committed):
    if this process dies with the call in flight, whoever resumes sends them again together
    (see push_claimed), never split or joined with others under a new key."""
    result = session.execute(
        update(SyncTransaction)
        .where(SyncTransaction.id.in_(row_ids), SyncTransaction.request_id.is_(None))
        .values(request_id=new_id())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.commit()


def _record_outcomes(
    session: Session, prepared: _Prepared, outcomes: dict[str, PushOutcome]
) -> list[SyncTransaction]:
    rows = list(
        session.scalars(
            select(SyncTransaction).where(
                SyncTransaction.id.in_(prepared.row_ids),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
        )
    )
    syncs = {
        sync.id: sync
        for sync in session.scalars(select(Sync).where(Sync.id.in_({r.sync_id for r in rows})))
    }
    posted = {
        p.transaction_id: p
        for p in session.scalars(
            select(PostedTransaction).where(
                PostedTransaction.company_id == prepared.connection.company_id,
                PostedTransaction.transaction_id.in_([r.transaction_id for r in rows]),
            )
        )
    }
    now = utcnow()
    for row in rows:
        outcome = outcomes.get(row.transaction_id)
        record = outcome.record if outcome is not None else None
        rejection = outcome.rejection if outcome is not None else None
        if record is None:
            row.status = TransactionStatus.PUSH_ERROR
            row.message = rejection or "The connector returned no outcome for this transaction."
            row.updated = now
            continue
        sync = syncs[row.sync_id]
        row.status = TransactionStatus.COMPLETED
        row.platform_record_type = record.record_type
        row.platform_record_id = record.record_id
        row.message = (
            f"{record.record_type} {record.record_id} written to {prepared.platform_name}."
        )
        entry = posted.get(row.transaction_id)
        if entry is None:
            entry = PostedTransaction(
                company_id=row.company_id,
                transaction_id=row.transaction_id,
                client_id=row.client_id,
                kind=row.kind,
                platform_key=prepared.connection.platform_key,
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
    return rows


# Starts the webhook deliveries of syncs a batch finished (see jobs.engine.start_deliveries).
Deliver = Callable[[Sequence[str]], None]


def push_batch(
    context: LedgerContext,
    row_ids: Sequence[str],
    ledger: LinkedLedger | None = None,
    deliver: Deliver | None = None,
) -> None:
    """Write one batch (pending items of one company, from one sync or several) and record
    each item's outcome, through `ledger` (the round's, shared by its batches) or one opened
    for it. A sync whose last pending items these were is finished with them, in the same
    commit, and its webhook deliveries are handed to `deliver` (without `deliver`, the round's
    end finishes it). Raises Transient when the platform is away for now (nothing recorded:
    the batch can be sent again, and its idempotency keys make that a replay)."""
    factory = context.session_factory
    with factory() as session:
        prepared = _prepare(session, row_ids)
        if isinstance(prepared, str):
            rows = _pending_by_id(session, row_ids)
            _fail_items(rows, TransactionStatus.PUSH_ERROR, prepared)
            session.commit()
            logger.warning("batch of %d not pushed: %s", len(rows), prepared)
            return
        if prepared is not None:
            _record_request(session, prepared.row_ids)
    if prepared is None:
        return
    key = prepared.connection.platform_key
    try:
        if ledger is not None:
            pushed = ledger.push(prepared.items)
        else:
            with closing(open_ledger(prepared.connection, context)) as opened:
                pushed = opened.push(prepared.items)
        outcomes = {o.transaction_id: o for o in pushed}
    except AuthFailure as exc:
        message = f"The platform refused our access: {exc}"
        with factory() as session:
            connection = session.get(Connection, prepared.connection.id)
            if connection is not None:
                connection.status = ConnectionStatus.DEAUTHORIZED
            rows = _pending_by_id(session, prepared.row_ids)
            _fail_items(rows, TransactionStatus.PUSH_ERROR, message)
            for sync in session.scalars(select(Sync).where(Sync.id.in_({r.sync_id for r in rows}))):
                _set_outcome(sync, SyncStatusCode.COMPANY_DEAUTHORIZED, "Deauthorized", message)
            session.commit()
        _count_pushed(key, rows)
        logger.warning("batch of %d not pushed: %s", len(rows), message)
        return
    except NotSupported as exc:
        fail_rows(factory, prepared.row_ids, str(exc))
        return
    finished: list[Sync] = []
    deliveries: list[str] = []
    with factory() as session:
        rows = _record_outcomes(session, prepared, outcomes)
        if deliver is not None:
            session.flush()
            touched = {row.sync_id for row in rows}
            finished, deliveries = _finish_open(session, touched, written_only=True)
        session.commit()
    _count_pushed(key, rows)
    logger.info(
        "batch pushed to %s: %d completed, %d refused",
        key,
        sum(row.status is TransactionStatus.COMPLETED for row in rows),
        sum(row.status is not TransactionStatus.COMPLETED for row in rows),
    )
    _log_finished(finished)
    if deliveries and deliver is not None:
        deliver(deliveries)


def _pending_by_id(session: Session, row_ids: Sequence[str]) -> list[SyncTransaction]:
    return list(
        session.scalars(
            select(SyncTransaction).where(
                SyncTransaction.id.in_(row_ids),
                SyncTransaction.status == TransactionStatus.PENDING,
            )
        )
    )


def fail_rows(factory: sessionmaker[Session], row_ids: Sequence[str], message: str) -> None:
    """Items still pending among `row_ids` fail with `message`."""
    with factory() as session:
        rows = _pending_by_id(session, row_ids)
        if not rows:
            return
        _fail_items(rows, TransactionStatus.PUSH_ERROR, message)
        connection = _accounting_connection(session, rows[0].company_id)
        session.commit()
    if connection is not None:
        _count_pushed(connection.platform_key, rows)
    logger.warning("batch of %d failed: %s", len(rows), message)


def _push_with_retries(
    context: LedgerContext,
    row_ids: list[str],
    ledger: LinkedLedger | None,
    deliver: Deliver | None = None,
) -> None:
    """One batch, tried again while the platform (or our database) is away for now; then its
    items fail with the last answer, and the other batches go on."""
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(PUSH_ATTEMPTS),
        wait=retry_wait,
        reraise=True,
    )
    try:
        retrying(push_batch, context, row_ids, ledger, deliver)
    except Exception as exc:
        if is_transient(exc):
            message = f"The platform did not accept the push: {exc}"
        else:
            # A defect, not a platform answer: fail the batch loudly rather than leave it hanging.
            logger.exception("unexpected error pushing a batch")
            message = f"Internal error while pushing: {type(exc).__name__}"
        fail_rows(context.session_factory, row_ids, message)


@dataclass
class _Round:
    """A round under way: its syncs, the transactions they write and how many items."""

    runner_id: str
    company_id: str
    connection: Connection
    capacity: int
    sync_ids: list[str]
    transactions: set[str]
    items: int

    def take_arrivals(self, context: LedgerContext) -> list[str]:
        """Take into the round the company's syncs queued since it began, while they fit (see
        choose_round) and while the worker is not stopping; the pending items they bring, in
        order."""
        if self.items >= self.capacity or context.stopping.is_set():
            return []
        factory = context.session_factory
        with factory() as session:
            candidates, pending = _queued(session, self.company_id, self.runner_id, own_too=False)
            if not candidates:
                return []
            chosen = choose_round(
                self.runner_id,
                candidates,
                pending,
                self.capacity,
                taken=self.transactions,
                items=self.items,
            )
            if not chosen:
                return []
            claimed = _claim(session, self.runner_id, chosen, self.connection.id)
            session.commit()
            rows = _pending_in(session, claimed)
        self.sync_ids.extend(claimed)
        self.transactions.update(row.transaction_id for row in rows)
        self.items += len(rows)
        _log_started(claimed, pending, self.connection.platform_key, self.runner_id)
        return [row.id for row in rows]


def _unfinished_of(session: Session, runner_id: str, sync_ids: Sequence[str]) -> list[str]:
    """`sync_ids`, then the other syncs `runner_id` claimed and has not finished: those a
    round took in before its worker died (their items may be in a request with the claimed
    syncs' items)."""
    own = session.get(Sync, runner_id)
    if own is None:
        return list(sync_ids)
    others = session.scalars(
        select(Sync.id)
        .where(
            Sync.company_id == own.company_id,
            Sync.runner_id == runner_id,
            Sync.completed.is_(None),
            Sync.id.not_in(sync_ids),
        )
        .order_by(Sync.created, Sync.id)
    )
    return [*sync_ids, *others]


def push_claimed(
    context: LedgerContext,
    runner_id: str,
    sync_ids: Sequence[str],
    deliver: Deliver | None = None,
) -> list[str]:
    """Write every pending item of the claimed syncs, in batches of the platform's size with up
    to its concurrent-call limit in flight, taking in the company's syncs that arrive while it
    writes (up to a round's capacity). Returns the syncs written: the claimed ones (with any
    others this runner claimed and did not finish), then those taken in. With `deliver`, each
    sync is finished as soon as its last item is recorded (see push_batch).

    Safe to run again: only pending items are sent, and those that went out in a request
    before (the process died with it in flight) go again in that same request, so that its
    idempotency key makes it a replay at the platform."""
    with log_context(sync_id=runner_id) as log_fields:
        with context.session_factory() as session:
            sync_ids = _unfinished_of(session, runner_id, sync_ids)
            rows = _pending_in(session, sync_ids)
            if not rows:
                return list(sync_ids)
            company_id = rows[0].company_id
            log_fields["company_id"] = company_id
            connection = _accounting_connection(session, company_id)
            row_ids = [row.id for row in rows]
            sent_before: defaultdict[str, list[str]] = defaultdict(list)
            for row in rows:
                if row.request_id is not None:
                    sent_before[row.request_id].append(row.id)
            unsent = [row.id for row in rows if row.request_id is None]
        ledger: LinkedLedger | None = None
        if connection is not None and connection.status is ConnectionStatus.LINKED:
            # Without a connector, the batch meets NotSupported again and fails with its message.
            with suppress(NotSupported):
                ledger = open_ledger(connection, context)
        if ledger is None or connection is None:
            # Nothing will reach a platform: one batch fails them all at once.
            _push_with_retries(context, row_ids, None)
            return list(sync_ids)
        under_way = _Round(
            runner_id,
            company_id,
            connection,
            round_capacity(ledger),
            list(sync_ids),
            {row.transaction_id for row in rows},
            len(rows),
        )
        opened = ledger

        def send(batch: list[str]) -> None:
            _push_with_retries(context, batch, opened, deliver)

        if sent_before:
            logger.info("%d requests sent before are sent again as they were", len(sent_before))
        try:
            keep_calls_full(
                unsent,
                again=list(sent_before.values()),
                size=ledger.max_batch_size,
                in_flight=ledger.max_concurrent_pushes,
                arrivals=lambda: under_way.take_arrivals(context),
                send=send,
            )
        finally:
            ledger.close()
        return under_way.sync_ids


def keep_calls_full(
    row_ids: list[str],
    *,
    again: Sequence[list[str]] = (),
    size: int,
    in_flight: int,
    arrivals: Callable[[], list[str]],
    send: Callable[[list[str]], None],
) -> None:
    """Keep the platform's calls in flight full: a batch goes as soon as a call is free and
    the batch is full; the company's arriving syncs top up what waits (looked for every
    ARRIVALS_POLL_SECONDS); a batch that is not full goes when nothing else of the round is in
    flight, or when no sync has arrived for ARRIVALS_QUIET_SECONDS, so that a burst of syncs
    is written in full batches (each call counts against the platform's limits, whatever its
    size) and a lone sync is not held back. The batches in `again` go first, each as it is."""
    size, in_flight = max(1, size), max(1, in_flight)
    fixed = list(again)
    waiting = list(row_ids)
    running: set[Future[None]] = set()
    looked = found = time.monotonic()
    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="spendsync-push") as pool:

        def go(batch: list[str]) -> None:
            # Each batch runs in a copy of this context: its log lines keep the sync's fields.
            running.add(pool.submit(contextvars.copy_context().run, send, batch))

        while True:
            now = time.monotonic()
            if len(waiting) < size and now - looked >= ARRIVALS_POLL_SECONDS:
                looked = now
                if arrived := arrivals():
                    waiting.extend(arrived)
                    found = now
            quiet = now - found >= ARRIVALS_QUIET_SECONDS
            while fixed and len(running) < in_flight:
                go(fixed.pop(0))
            while waiting and len(running) < in_flight and not fixed:
                if len(waiting) < size and running and not quiet:
                    break
                batch, waiting = waiting[:size], waiting[size:]
                go(batch)
            if not running:
                return
            done, running = wait(
                running, timeout=ARRIVALS_POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            for future in done:
                future.result()


def fail_pending(factory: sessionmaker[Session], sync_ids: Sequence[str], message: str) -> None:
    with factory() as session:
        row_ids = [row.id for row in _pending_in(session, sync_ids)]
    fail_rows(factory, row_ids, message)


# -- finishing --------------------------------------------------------------------------


def _finish(session: Session, sync: Sync, counts: Counter[TransactionStatus]) -> list[str]:
    """End one sync from its items' counts by status (items still pending fail: the sync
    ended before they were written)."""
    pending = counts[TransactionStatus.PENDING]
    if pending:
        session.execute(
            update(SyncTransaction)
            .where(
                SyncTransaction.sync_id == sync.id,
                SyncTransaction.status == TransactionStatus.PENDING,
            )
            .values(
                status=TransactionStatus.PUSH_ERROR,
                message="The sync ended before this transaction was written.",
                updated=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    total = sum(counts.values())
    failed = total - counts[TransactionStatus.COMPLETED]
    if sync.status_code != SyncStatusCode.IN_PROGRESS:
        pass  # the claim already decided (no linked ledger, no connector) or access was lost
    elif failed:
        first = session.execute(
            select(SyncTransaction.transaction_id, SyncTransaction.message)
            .where(
                SyncTransaction.sync_id == sync.id,
                SyncTransaction.status != TransactionStatus.COMPLETED,
            )
            .order_by(SyncTransaction.position)
            .limit(5)
        ).all()
        message = f"{failed} of {total} transactions failed to write: " + "; ".join(
            f"{transaction_id}: {why}" for transaction_id, why in first
        )
        _set_outcome(sync, SyncStatusCode.DATA_WRITE_ERROR, "PushError", message)
    elif total:
        _set_outcome(sync, SyncStatusCode.SUCCESS_DATA_WRITTEN, "Complete", None)
    else:
        _set_outcome(sync, SyncStatusCode.SUCCESS_NO_DATA, "Complete", None)
    sync.completed = utcnow()
    return record_sync_event(session, sync)


def _finish_open(
    session: Session, sync_ids: Collection[str], *, written_only: bool
) -> tuple[list[Sync], list[str]]:
    """End those of the syncs still open (with `written_only`, only those with no item
    pending) and record their webhook events, in `session` (the caller commits); the syncs
    ended and the deliveries to make."""
    syncs = list(
        session.scalars(
            select(Sync)
            .where(Sync.id.in_(sync_ids), Sync.completed.is_(None))
            .order_by(Sync.created, Sync.id)
        )
    )
    # Each sync's items counted by status in one query, not loaded (a round ends many).
    counts: defaultdict[str, Counter[TransactionStatus]] = defaultdict(Counter)
    for sync_id, status, count in session.execute(
        select(SyncTransaction.sync_id, SyncTransaction.status, func.count())
        .where(SyncTransaction.sync_id.in_([sync.id for sync in syncs]))
        .group_by(SyncTransaction.sync_id, SyncTransaction.status)
    ):
        counts[sync_id][TransactionStatus(status)] = count
    if written_only:
        syncs = [sync for sync in syncs if not counts[sync.id][TransactionStatus.PENDING]]
    deliveries = [
        delivery for sync in syncs for delivery in _finish(session, sync, counts[sync.id])
    ]
    return syncs, deliveries


def _log_finished(syncs: Sequence[Sync]) -> None:
    """Count and log syncs once their finish is committed."""
    for sync in syncs:
        SYNCS_COMPLETED.labels(str(sync.status_code), sync.status).inc()
        with log_context(sync_id=sync.id, company_id=sync.company_id):
            logger.info("sync finished: %s %s", sync.status_code, sync.status)


def finish_syncs(factory: sessionmaker[Session], sync_ids: Sequence[str]) -> list[str]:
    """End the syncs not ended yet (items still pending fail) and record their webhook
    events; returns the deliveries to make."""
    with factory() as session:
        syncs, deliveries = _finish_open(session, sync_ids, written_only=False)
        session.commit()
    _log_finished(syncs)
    return deliveries
