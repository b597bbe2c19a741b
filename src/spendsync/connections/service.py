"""Connection rules: one accounting connection per company, plus the partner expense source."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy.orm import Session

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.companies.service import get_company
from spendsync.connections import repository
from spendsync.connections.models import Connection, ConnectionStatus, SourceType
from spendsync.connections.revocation import revoke_access
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.registry import PLATFORMS, Platform, PlatformKey, find_platform
from spendsync.errors import BadRequest, Conflict, NotFound, ValidationItem
from spendsync.query import FieldKind, QueryField

QUERY_FIELDS: Mapping[str, QueryField] = {
    "id": QueryField(Connection.id, FieldKind.UUID),
    "integrationKey": QueryField(Connection.platform_key, FieldKind.STRING),
    "platformKey": QueryField(Connection.platform_key, FieldKind.STRING),
    "sourceType": QueryField(Connection.source_type, FieldKind.STRING),
    "status": QueryField(Connection.status, FieldKind.STRING),
    "created": QueryField(Connection.created, FieldKind.DATETIME),
    "lastSync": QueryField(Connection.last_sync, FieldKind.DATETIME),
}


def not_found(connection_id: str) -> NotFound:
    return NotFound(f"Data connection {connection_id} not found")


def get_connection(
    session: Session, client_id: str, company_id: str, connection_id: str
) -> Connection:
    get_company(session, client_id, company_id)
    connection = repository.get(session, client_id, company_id, connection_id)
    if connection is None:
        raise not_found(connection_id)
    return connection


def list_connections(
    session: Session, client_id: str, company_id: str, params: PageParams
) -> tuple[list[Connection], int]:
    get_company(session, client_id, company_id)
    where, order_by = list_filters(params, QUERY_FIELDS, "Connection")
    return repository.page(
        session,
        client_id,
        company_id,
        where=where,
        order_by=order_by,
        offset=params.offset,
        limit=params.page_size,
    )


def _new_connection(
    client_id: str, company_id: str, platform: Platform, status: ConnectionStatus
) -> Connection:
    return Connection(
        client_id=client_id,
        company_id=company_id,
        platform_key=platform.key.value,
        source_type=platform.source_type,
        status=status,
        link_token=secrets.token_urlsafe(24),
        data_connection_errors=[],
    )


def create_connection(
    session: Session, client_id: str, company_id: str, platform_key: str
) -> Connection:
    """A new accounting connection starts PendingAuth; the customer links it at its linkUrl."""
    get_company(session, client_id, company_id)
    platform = find_platform(platform_key)
    if platform is None or platform.source_type is not SourceType.ACCOUNTING:
        known = ", ".join(
            f"{p.key.value} ({p.name})"
            for p in PLATFORMS.values()
            if p.source_type is SourceType.ACCOUNTING
        )
        hint = (
            " Use POST /companies/{companyId}/sync/expenses/connections/partnerExpense."
            if platform is not None
            else ""
        )
        raise BadRequest(
            f"Integration '{platform_key}' is not an accounting integration of this server." + hint,
            errors=[
                ValidationItem(
                    item_id="PlatformKey",
                    message=f"Expected one of: {known}.",
                    validator_name="PlatformKey",
                )
            ],
        )
    existing = repository.first_of_type(session, client_id, company_id, SourceType.ACCOUNTING)
    if existing is not None:
        existing_platform = find_platform(existing.platform_key)
        name = existing_platform.name if existing_platform else existing.platform_key
        raise Conflict(
            f"Company {company_id} already has an accounting connection ({existing.id}, {name}, "
            f"{existing.status.value}). A company has one accounting connection: re-link that "
            "one at its linkUrl, or delete it before creating another."
        )
    connection = _new_connection(client_id, company_id, platform, ConnectionStatus.PENDING_AUTH)
    repository.add(session, connection)
    return connection


def create_partner_expense_connection(
    session: Session, client_id: str, company_id: str
) -> Connection:
    """The expense-side connection is Linked from the start; asking again returns the same one."""
    get_company(session, client_id, company_id)
    existing = repository.first_of_type(session, client_id, company_id, SourceType.EXPENSE)
    if existing is not None:
        return existing
    platform = PLATFORMS[PlatformKey.PARTNER_EXPENSE]
    connection = _new_connection(client_id, company_id, platform, ConnectionStatus.LINKED)
    repository.add(session, connection)
    return connection


def unlink_connection(
    session: Session,
    context: LedgerContext,
    client_id: str,
    company_id: str,
    connection_id: str,
    status: ConnectionStatus | None,
) -> Connection:
    """PATCH {status: Unlinked}: deauthorise, keeping the connection and its data."""
    connection = get_connection(session, client_id, company_id, connection_id)
    if status is not ConnectionStatus.UNLINKED:
        raise BadRequest(
            "Only the status Unlinked can be set by a client.",
            errors=[
                ValidationItem(
                    item_id="Status",
                    message="Must be 'Unlinked'.",
                    validator_name="ConnectionStatus",
                )
            ],
        )
    connection.status = ConnectionStatus.UNLINKED
    revoke_access(session, context, connection)
    session.flush()
    return connection


def delete_connection(
    session: Session, context: LedgerContext, client_id: str, company_id: str, connection_id: str
) -> None:
    connection = get_connection(session, client_id, company_id, connection_id)
    revoke_access(session, context, connection)
    repository.delete(session, connection)


def accounting_connection(session: Session, client_id: str, company_id: str) -> Connection:
    """The company's linked accounting connection, or a 409 saying what is missing."""
    get_company(session, client_id, company_id)
    connection = repository.first_of_type(session, client_id, company_id, SourceType.ACCOUNTING)
    if connection is None:
        raise Conflict(
            f"Company {company_id} has no accounting connection. Create one with "
            f"POST /companies/{company_id}/connections and let the customer link it."
        )
    if connection.status is not ConnectionStatus.LINKED:
        raise Conflict(
            f"The accounting connection {connection.id} is {connection.status.value}; the "
            "customer must complete the link flow at its linkUrl before its data can be read."
        )
    return connection
