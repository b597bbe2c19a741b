"""All SQL for companies. Every query filters by the owning client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from spendsync.companies.models import Company


def _owned(client_id: str) -> Select[Company]:
    return select(Company).where(Company.client_id == client_id)


def get(session: Session, client_id: str, company_id: str) -> Company | None:
    return session.scalar(
        _owned(client_id)
        .where(Company.id == company_id)
        .options(selectinload(Company.tags), selectinload(Company.connections))
    )


def page(
    session: Session,
    client_id: str,
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    offset: int,
    limit: int,
) -> tuple[list[Company], int]:
    filtered = _owned(client_id).where(*where)
    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    rows = session.scalars(
        filtered.options(selectinload(Company.tags), selectinload(Company.connections))
        .order_by(*order_by, Company.created, Company.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def add(session: Session, company: Company) -> None:
    session.add(company)
    session.flush()


def delete(session: Session, company: Company) -> None:
    session.delete(company)
    session.flush()
