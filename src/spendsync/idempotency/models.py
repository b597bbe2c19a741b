from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, new_id, utcnow


class IdempotencyRecord(Base):
    """A request seen with an Idempotency-Key; `status_code` is None while it is in flight."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    content_type: Mapped[str | None] = mapped_column(String(200), default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
