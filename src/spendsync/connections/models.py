from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spendsync.db.base import Base, new_id, utcnow

if TYPE_CHECKING:
    from spendsync.companies.models import Company


class ConnectionStatus(enum.StrEnum):
    PENDING_AUTH = "PendingAuth"
    LINKED = "Linked"
    UNLINKED = "Unlinked"
    DEAUTHORIZED = "Deauthorized"


class SourceType(enum.StrEnum):
    ACCOUNTING = "Accounting"
    BANKING = "Banking"
    BANK_FEED = "BankFeed"
    COMMERCE = "Commerce"
    EXPENSE = "Expense"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class Connection(Base):
    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    platform_key: Mapped[str] = mapped_column(String(16))
    source_type: Mapped[SourceType] = mapped_column(
        Enum(
            SourceType, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    status: Mapped[ConnectionStatus] = mapped_column(
        Enum(
            ConnectionStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    # Secret part of the linkUrl: whoever holds it may authorise this connection.
    link_token: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync: Mapped[datetime | None] = mapped_column(default=None)
    connection_info: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    data_connection_errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # The platform's credentials (OAuth tokens, tenant), sealed with the secret box.
    sealed_credentials: Mapped[str | None] = mapped_column(Text, default=None)
    # Raised (in SQL, so concurrent writers never lose a raise) by every change to the
    # connection's reference data: a process keeps what it decoded while this stays the same.
    reference_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    company: Mapped[Company] = relationship(back_populates="connections")
