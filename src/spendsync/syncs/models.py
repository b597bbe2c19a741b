from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, new_id, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class SyncStatusCode(enum.IntEnum):
    """Codat's `syncStatusCode` table."""

    IN_PROGRESS = 1000
    IN_PROGRESS_LONG = 1010
    SUCCESS_DATA_WRITTEN = 2000
    SUCCESS_NO_DATA = 2040
    CONFIGURATION_ERROR = 4000
    COMPANY_DEAUTHORIZED = 4040
    GENERIC_SERVER_ERROR = 5000
    DUPLICATION_PROTECTION = 5080
    DATA_PROCESSING_ERROR = 5120
    DATA_WRITE_ERROR = 5130


class TransactionStatus(enum.StrEnum):
    UNKNOWN = "Unknown"
    PENDING = "Pending"
    VALIDATION_ERROR = "ValidationError"
    COMPLETED = "Completed"
    PUSH_ERROR = "PushError"


class TransactionKind(enum.StrEnum):
    """Which Codat endpoint a transaction came through (and, for expenses, its type)."""

    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"
    TRANSFER = "Transfer"
    REIMBURSABLE = "Reimbursable"
    ADJUSTMENT = "Adjustment"


EXPENSE_KINDS = frozenset(
    {
        TransactionKind.PAYMENT,
        TransactionKind.REFUND,
        TransactionKind.REWARD,
        TransactionKind.CHARGEBACK,
    }
)


class Operation(enum.StrEnum):
    CREATE = "Create"
    UPDATE = "Update"


class Sync(Base):
    __tablename__ = "syncs"
    __table_args__ = (Index("ix_syncs_company_created", "company_id", "created"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None
    )
    status_code: Mapped[int] = mapped_column(Integer, default=SyncStatusCode.IN_PROGRESS)
    status: Mapped[str] = mapped_column(String(32), default="NotStarted")
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    data_pushed: Mapped[bool] = mapped_column(default=False)
    # The sync whose workflow writes this one (itself, or the one that drained the company's
    # queue when this was waiting); unset until a workflow claims it.
    runner_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    started: Mapped[datetime | None] = mapped_column(default=None)
    completed: Mapped[datetime | None] = mapped_column(default=None)


class SyncTransaction(Base):
    """One transaction of one sync, with everything needed to push it again after a crash."""

    __tablename__ = "sync_transactions"
    __table_args__ = (
        UniqueConstraint("sync_id", "transaction_id"),
        Index("ix_sync_transactions_company_transaction", "company_id", "transaction_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[TransactionKind] = mapped_column(_enum(TransactionKind))
    operation: Mapped[Operation] = mapped_column(_enum(Operation))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[TransactionStatus] = mapped_column(
        _enum(TransactionStatus), default=TransactionStatus.PENDING
    )
    message: Mapped[str | None] = mapped_column(Text, default=None)
    platform_record_type: Mapped[str | None] = mapped_column(String(64), default=None)
    platform_record_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # The request this item went out in (set before the call leaves). A pending item that has
    # one may have been written: it is sent again only with the same members, so that the
    # platform's request-level idempotency key makes the call a replay.
    request_id: Mapped[str | None] = mapped_column(String(36), default=None)
    updated: Mapped[datetime] = mapped_column(default=utcnow)


class PostedTransaction(Base):
    """Where a client's transaction id lives in the ledger: one row per (company, id).

    It makes the id an idempotency key (a Completed id is not created twice), and tells updates
    which platform record to change.
    """

    __tablename__ = "posted_transactions"

    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    transaction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransactionKind] = mapped_column(_enum(TransactionKind))
    platform_key: Mapped[str] = mapped_column(String(16))
    platform_record_type: Mapped[str] = mapped_column(String(64))
    platform_record_id: Mapped[str] = mapped_column(String(128))
    platform_version: Mapped[str | None] = mapped_column(String(128), default=None)
    last_sync_id: Mapped[str] = mapped_column(String(36))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow)
