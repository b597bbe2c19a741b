"""The contract every connector implements, and the capabilities it declares as data.

Capabilities drive request validation, the `/integrations` endpoint and the README's matrix.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from spendsync.config import Settings
from spendsync.connectors.reference import (
    LedgerAccount,
    LedgerContact,
    NewAccount,
    ReferenceDataType,
    ReferenceRead,
)
from spendsync.ledger.model import Adjustment, Expense, Reimbursable, Transfer


class TransactionKind(enum.StrEnum):
    """What a client can ask a platform to record (Codat's endpoints and expense types)."""

    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"
    TRANSFER = "Transfer"
    REIMBURSABLE = "Reimbursable"
    ADJUSTMENT = "Adjustment"


@dataclass(frozen=True)
class KindSupport:
    create: bool = True
    update: bool = False
    attachments: bool = False


@dataclass(frozen=True)
class AccountCreation:
    """What the platform needs to create an account; drives request validation and the
    `options/chartOfAccounts` and `options/bankAccounts` models."""

    categories: tuple[tuple[str, str], ...]  # (fullyQualifiedCategory, display name)
    bank_categories: tuple[tuple[str, str], ...]  # where bank and card accounts sit
    nominal_code_required: bool = False
    nominal_code_max_length: int | None = None
    name_max_length: int = 150
    bank_account_number_required: bool = False
    bank_nominal_code_allowed: bool = True


@dataclass(frozen=True)
class Capabilities:
    kinds: dict[TransactionKind, KindSupport] = field(default_factory=dict)
    max_attachment_bytes: int | None = None
    accounts: AccountCreation | None = None

    def supports(self, kind: TransactionKind) -> KindSupport | None:
        return self.kinds.get(kind)


@dataclass(frozen=True)
class CompanyInformation:
    """What `GET /companies/{id}/data/info` reports, read from the ledger."""

    company_name: str
    base_currency: str
    accounting_platform_ref: str | None = None
    registration_number: str | None = None
    financial_year_start_date: datetime | None = None
    source_urls: dict[str, str] = field(default_factory=dict)
    created_date: datetime | None = None


class PushOperation(enum.StrEnum):
    CREATE = "Create"
    UPDATE = "Update"


@dataclass(frozen=True)
class PlatformRecord:
    """A record a connector wrote: what it is on the platform and how to find it again."""

    record_type: str
    record_id: str
    version: str | None = None


LedgerDocument = Expense | Transfer | Reimbursable | Adjustment


@dataclass(frozen=True)
class PushItem:
    """One transaction to write. `document` is the ledger-domain object (spendsync.ledger);
    `existing` is set for updates; `idempotency_key` is stable across retries of this write."""

    transaction_id: str
    kind: TransactionKind
    operation: PushOperation
    document: LedgerDocument
    existing: PlatformRecord | None
    idempotency_key: str


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one item: a record, or the platform's reason for refusing it."""

    transaction_id: str
    record: PlatformRecord | None = None
    rejection: str | None = None


@dataclass(frozen=True)
class LedgerContext:
    """What a connector gets from the process that opens it: settings (base URLs, app
    credentials), and sessions to keep the connection's rotating credentials current."""

    settings: Settings
    session_factory: sessionmaker[Session]
    # The job worker process this is ("executor id#pid", see throttle.worker_process), if it
    # runs one: what it holds (throttle slots) is freed as soon as its heartbeat stops.
    worker_id: str | None = None
    # Set when the worker stops cleanly: a round under way takes in no more syncs, and the
    # company's writer starts no new round (see jobs.engine.shutdown_worker).
    stopping: threading.Event = field(default_factory=threading.Event)


class LinkedLedger(Protocol):
    """Operations on one linked connection, as every connector implements them.

    Connectors raise only the errors of connectors/errors.py: Transient for "try again later"
    (the engine retries with backoff), AuthFailure when the connection must be linked again,
    NotSupported for what the platform cannot do. A record the platform refuses is not an
    exception: it is a PushOutcome with a rejection, so the rest of the batch still completes.
    """

    max_batch_size: int
    # Batches of one company written at once: at most the platform's calls-in-flight limit
    # (its throttle still holds every call to it), 1 where writes must be serial.
    max_concurrent_pushes: int

    @property
    def round_calls(self) -> int:
        """Calls one round of a company's writes makes at most (see
        syncs.runner.round_capacity): sized to the platform's rate limits where it has them."""
        ...

    def close(self) -> None:
        """Release what the connector holds (HTTP connections); callers always close."""
        ...

    def get_company_info(self) -> CompanyInformation: ...

    def read(self, data_type: ReferenceDataType, modified_since: datetime | None) -> ReferenceRead:
        """Reference data of one type: everything, or what changed since `modified_since`
        where the platform can say (then `ReferenceRead.complete` is False)."""
        ...

    def push(self, items: Sequence[PushItem]) -> list[PushOutcome]: ...

    def save_contact(
        self, data_type: ReferenceDataType, contact: LedgerContact, existing_id: str | None
    ) -> LedgerContact:
        """Create (or, with `existing_id`, update) a supplier or customer; returns it as the
        platform stored it. RecordValidation carries the platform's reason for refusing it."""
        ...

    def save_account(self, account: NewAccount) -> LedgerAccount:
        """Create an account (a bank or card account when `account.bank_kind` says so);
        returns it as the platform stored it. RecordValidation carries the refusal."""
        ...

    def attach(
        self, record: PlatformRecord, file_name: str, content_type: str, content: bytes
    ) -> str:
        """Upload a file to a record this connector wrote; returns the platform's file id."""
        ...
