from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spendsync.db.base import Base, new_id, utcnow

if TYPE_CHECKING:
    from spendsync.connections.models import Connection


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    modified: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync: Mapped[datetime | None] = mapped_column(default=None)
    created_by_user_name: Mapped[str | None] = mapped_column(String(200), default=None)

    tags: Mapped[list[CompanyTag]] = relationship(
        back_populates="company",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CompanyTag.key",
    )
    connections: Mapped[list[Connection]] = relationship(
        back_populates="company",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Connection.created",
    )


class CompanyTag(Base):
    """One user-defined tag (key → value) of a company; a table so that `tags` can be queried."""

    __tablename__ = "company_tags"

    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(27), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(100))

    company: Mapped[Company] = relationship(back_populates="tags")
