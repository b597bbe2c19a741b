"""Which workers are alive: each worker process records a heartbeat; a worker whose heartbeat
stops is dead, and its unfinished workflows are handed to the survivors (see jobs/sweep.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spendsync.db.base import Base, utcnow


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    executor_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
