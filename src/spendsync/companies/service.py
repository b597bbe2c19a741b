"""Company rules: create, read, list with Codat's query language, replace, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.orm import Session

from spendsync.api.listing import compile_filter, list_filters
from spendsync.api.paging import PageParams
from spendsync.companies import repository
from spendsync.companies.models import Company, CompanyTag
from spendsync.connections.revocation import revoke_access
from spendsync.connectors.base import LedgerContext
from spendsync.db.base import utcnow
from spendsync.errors import NotFound
from spendsync.query import Comparison, FieldKind, InvalidQueryValue, Op, QueryField

QUERY_FIELDS: Mapping[str, QueryField] = {
    "id": QueryField(Company.id, FieldKind.UUID),
    "name": QueryField(Company.name, FieldKind.STRING),
    "description": QueryField(Company.description, FieldKind.STRING),
    "created": QueryField(Company.created, FieldKind.DATETIME),
    "createdDate": QueryField(Company.created, FieldKind.DATETIME),
    "lastSync": QueryField(Company.last_sync, FieldKind.DATETIME),
    "modifiedDate": QueryField(Company.modified, FieldKind.DATETIME),
    "createdByUserName": QueryField(Company.created_by_user_name, FieldKind.STRING),
}


def not_found(company_id: str) -> NotFound:
    return NotFound(f"No company was found with ID {company_id}")


def get_company(session: Session, client_id: str, company_id: str) -> Company:
    company = repository.get(session, client_id, company_id)
    if company is None:
        raise not_found(company_id)
    return company


def _tag_condition(comparison: Comparison) -> ColumnElement[bool]:
    """`tags=region=uk && team~fin`: each comparison tests one tag of the company."""
    same_key = and_(CompanyTag.company_id == Company.id, CompanyTag.key == comparison.property)
    value = func.lower(CompanyTag.value)
    wanted = comparison.value.lower()
    if comparison.op is Op.EQ:
        return exists(select(CompanyTag.key).where(same_key, value == wanted))
    if comparison.op is Op.NE:
        return not_(exists(select(CompanyTag.key).where(same_key, value == wanted)))
    if comparison.op is Op.CONTAINS:
        pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return exists(select(CompanyTag.key).where(same_key, value.like(pattern, escape="\\")))
    raise InvalidQueryValue(f"Tags support only =, != and ~ (got {comparison.op.value})")


def list_companies(
    session: Session, client_id: str, params: PageParams, tags: str | None
) -> tuple[list[Company], int]:
    where, order_by = list_filters(params, QUERY_FIELDS, "Company")
    if tags:
        where.append(compile_filter(tags, _tag_condition, "Company tags"))
    return repository.page(
        session,
        client_id,
        where=where,
        order_by=order_by,
        offset=params.offset,
        limit=params.page_size,
    )


def _set_tags(company: Company, tags: Mapping[str, str]) -> None:
    company.tags = [
        CompanyTag(key=key, value=value, client_id=company.client_id)
        for key, value in sorted(tags.items())
    ]


def create_company(
    session: Session,
    client_id: str,
    *,
    name: str,
    description: str | None,
    tags: Mapping[str, str] | None,
) -> Company:
    company = Company(client_id=client_id, name=name.strip(), description=description)
    company.tags = []
    company.connections = []
    _set_tags(company, tags or {})
    repository.add(session, company)
    return company


def replace_company(
    session: Session,
    client_id: str,
    company_id: str,
    *,
    name: str,
    description: str | None,
    tags: Mapping[str, str] | None,
) -> Company:
    """PUT: the body is the whole new state; omitted description and tags are cleared."""
    company = get_company(session, client_id, company_id)
    company.name = name.strip()
    company.description = description
    _set_tags(company, tags or {})
    company.modified = utcnow()
    session.flush()
    return company


def update_company(
    session: Session, client_id: str, company_id: str, changes: Mapping[str, Any]
) -> Company:
    """PATCH: only the fields present in the body change (tags replaced as a whole)."""
    company = get_company(session, client_id, company_id)
    if changes.get("name") is not None:
        company.name = str(changes["name"]).strip()
    if "description" in changes:
        company.description = changes["description"]
    if "tags" in changes:
        _set_tags(company, changes["tags"] or {})
    company.modified = utcnow()
    session.flush()
    return company


def delete_company(
    session: Session, context: LedgerContext, client_id: str, company_id: str
) -> None:
    """Delete the company and, by cascade, every row of its data; its platform access is
    revoked once that is committed."""
    company = get_company(session, client_id, company_id)
    for connection in company.connections:
        revoke_access(session, context, connection)
    repository.delete(session, company)
