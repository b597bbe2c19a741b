from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spendsync.db.base import Base, new_id, utcnow


class Client(Base):
    """A tenant: an expense provider using spendsync. Owns companies, through its API keys."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(default=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )


class ApiKey(Base):
    """An API key. Only its SHA-256 digest is stored; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[datetime | None] = mapped_column(default=None)

    client: Mapped[Client] = relationship(back_populates="api_keys")
