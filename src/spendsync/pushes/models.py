from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, new_id, utcnow


class PushStatus(enum.StrEnum):
    PENDING = "Pending"
    FAILED = "Failed"
    SUCCESS = "Success"
    TIMED_OUT = "TimedOut"


class PushOperation(Base):
    __tablename__ = "push_operations"
    __table_args__ = (Index("ix_push_operations_company_requested", "company_id", "requested"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    data_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[PushStatus] = mapped_column(
        Enum(
            PushStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    status_code: Mapped[int] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    requested: Mapped[datetime] = mapped_column(default=utcnow)
    completed: Mapped[datetime | None] = mapped_column(default=None)
