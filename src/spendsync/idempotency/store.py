"""Reservations of Idempotency-Keys, each in its own short transaction."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from spendsync.db.base import utcnow
from spendsync.idempotency.models import IdempotencyRecord

# A reservation whose request never finished (the process died) stops blocking the key.
ABANDONED_AFTER = timedelta(minutes=10)


class Outcome(enum.Enum):
    RESERVED = "reserved"
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class Reservation:
    outcome: Outcome
    record_id: str | None = None
    status_code: int | None = None
    content_type: str | None = None
    body: bytes | None = None


def _expired(record: IdempotencyRecord, now: datetime, ttl: timedelta) -> bool:
    if record.status_code is None:
        return now - record.created > ABANDONED_AFTER
    return now - record.created > ttl


def reserve(
    factory: sessionmaker[Session],
    *,
    client_id: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
) -> Reservation:
    now = utcnow()
    for _attempt in range(3):
        with factory() as session:
            existing = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key
                )
            )
            if existing is not None and _expired(existing, now, ttl):
                session.execute(
                    delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id)
                )
                session.commit()
                existing = None
            if existing is not None:
                if existing.fingerprint != fingerprint:
                    return Reservation(Outcome.MISMATCH)
                if existing.status_code is None:
                    return Reservation(Outcome.IN_FLIGHT)
                return Reservation(
                    Outcome.REPLAY,
                    status_code=existing.status_code,
                    content_type=existing.content_type,
                    body=existing.body,
                )
            record = IdempotencyRecord(
                client_id=client_id, key=key, fingerprint=fingerprint, created=now
            )
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue  # another request took the key first: read what it stored
            return Reservation(Outcome.RESERVED, record_id=record.id)
    return Reservation(Outcome.IN_FLIGHT)


def complete(
    factory: sessionmaker[Session],
    record_id: str,
    *,
    status_code: int,
    content_type: str | None,
    body: bytes,
) -> None:
    with factory() as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.status_code = status_code
            record.content_type = content_type
            record.body = body
            session.commit()


def release(factory: sessionmaker[Session], record_id: str) -> None:
    """Forget a reservation whose request failed on our side, so that a retry runs again."""
    with factory() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        session.commit()


def purge_expired(factory: sessionmaker[Session], ttl: timedelta) -> int:
    with factory() as session:
        result = session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created < utcnow() - ttl)
        )
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
