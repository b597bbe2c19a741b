from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, new_id, utcnow


class PullStatus(enum.StrEnum):
    """The subset of Codat's PullOperation statuses spendsync goes through."""

    QUEUED = "Queued"
    FETCHING = "Fetching"
    COMPLETE = "Complete"
    FETCH_ERROR = "FetchError"
    AUTH_ERROR = "AuthError"
    NOT_SUPPORTED = "NotSupported"
    RATE_LIMIT_ERROR = "RateLimitError"


class PullOperation(Base):
    __tablename__ = "pull_operations"
    __table_args__ = (Index("ix_pull_operations_company_requested", "company_id", "requested"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    data_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[PullStatus] = mapped_column(
        Enum(
            PullStatus, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
        )
    )
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    requested: Mapped[datetime] = mapped_column(default=utcnow)
    completed: Mapped[datetime | None] = mapped_column(default=None)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    records_read: Mapped[int] = mapped_column(Integer, default=0)


class ReferenceRecord(Base):
    """One record of the ledger's reference data, as the connector last reported it."""

    __tablename__ = "reference_records"
    __table_args__ = (
        UniqueConstraint("connection_id", "data_type", "platform_id"),
        Index("ix_reference_records_company_type", "company_id", "data_type"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    data_type: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(400))
    data: Mapped[dict[str, Any]] = mapped_column()
    is_deleted: Mapped[bool] = mapped_column(default=False)
    source_modified: Mapped[datetime | None] = mapped_column(default=None)
    modified: Mapped[datetime] = mapped_column(default=utcnow)
