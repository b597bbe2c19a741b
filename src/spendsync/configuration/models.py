from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, utcnow


class CompanyConfiguration(Base):
    """Fallbacks for transactions that carry no `bankAccountRef` or `contactRef`."""

    __tablename__ = "company_configurations"

    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    bank_account_id: Mapped[str | None] = mapped_column(String(255), default=None)
    supplier_id: Mapped[str | None] = mapped_column(String(255), default=None)
    customer_id: Mapped[str | None] = mapped_column(String(255), default=None)
    updated: Mapped[datetime] = mapped_column(default=utcnow)
