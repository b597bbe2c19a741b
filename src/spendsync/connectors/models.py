"""Tables behind the shared (database) throttle: the platform calls every process made per
tenant, and the leases on a tenant's in-flight call slots. Keys are `platform:tenant`."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base


class PlatformCallBudget(Base):
    """One row per tenant key: locked while a call is admitted, so that the count-then-record
    of two processes never interleaves."""

    __tablename__ = "platform_call_budgets"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)


class PlatformCall(Base):
    """When a call to the platform was admitted (epoch seconds); pruned past the longest window."""

    __tablename__ = "platform_calls"
    __table_args__ = (Index("ix_platform_calls_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(255))
    at: Mapped[float] = mapped_column(Float)


class PlatformCallSlot(Base):
    """One of a tenant's `concurrent` call slots; a holder keeps it until `lease_until`, so a
    process killed mid-call frees its slot when the lease runs out, or a worker's as soon as
    its heartbeat says it is dead."""

    __tablename__ = "platform_call_slots"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    # The job worker process holding it ("executor id#pid"; an executor id takes up to 128
    # characters): once that process's heartbeat has stopped, the slot is free without
    # waiting for the lease.
    worker: Mapped[str | None] = mapped_column(String(160), default=None)
