"""Writing a supplier, customer, account or bank account to the ledger, synchronously, as
one logged push operation.

The platform's refusal is not an HTTP error: like Codat, the push operation says `Failed` with
the platform's message. A platform that is only briefly unavailable is a 503 to retry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import closing
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.companies.service import get_company
from spendsync.connections.models import Connection, ConnectionStatus
from spendsync.connections.service import get_connection
from spendsync.connectors.base import AccountCreation, LedgerContext, LinkedLedger
from spendsync.connectors.errors import NotSupported, RecordValidation
from spendsync.connectors.reference import (
    BankKind,
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    NewAccount,
    ReferenceDataType,
)
from spendsync.connectors.registry import find_platform, open_ledger
from spendsync.db.base import utcnow
from spendsync.errors import BadRequest, Conflict, NotFound, ValidationItem
from spendsync.pushes.models import PushOperation, PushStatus
from spendsync.query import FieldKind, QueryField
from spendsync.reference.repository import (
    records_by_platform_id,
    reference_changed,
    save_record,
)
from spendsync.reference.schemas import customer_to_schema, supplier_to_schema

PUSH_FIELDS: Mapping[str, QueryField] = {
    "pushOperationKey": QueryField(PushOperation.id, FieldKind.UUID),
    "dataType": QueryField(PushOperation.data_type, FieldKind.STRING),
    "status": QueryField(PushOperation.status, FieldKind.STRING),
    "requestedOnUtc": QueryField(PushOperation.requested, FieldKind.DATETIME),
    "completedOnUtc": QueryField(PushOperation.completed, FieldKind.DATETIME),
}


def _run_push(
    session: Session,
    context: LedgerContext,
    client_id: str,
    company_id: str,
    connection_id: str,
    data_type: str,
    modified: bool,
    write: Callable[[LinkedLedger], tuple[str, dict[str, Any]]],
) -> tuple[PushOperation, Connection]:
    """One push operation: `write` returns the record's id and its Codat rendering; the
    platform's refusal makes the operation Failed with its message."""
    connection = get_connection(session, client_id, company_id, connection_id)
    if connection.status is not ConnectionStatus.LINKED:
        raise Conflict(f"Data connection {connection_id} is {connection.status.value}.")
    operation = PushOperation(
        client_id=client_id,
        company_id=company_id,
        connection_id=connection.id,
        data_type=data_type,
        status=PushStatus.PENDING,
        status_code=202,
        changes=[],
    )
    session.add(operation)
    try:
        with closing(open_ledger(connection, context)) as ledger:
            record_id, data = write(ledger)
    except (RecordValidation, NotSupported) as exc:
        operation.status = PushStatus.FAILED
        operation.status_code = 400
        operation.error_message = str(exc)
        operation.completed = utcnow()
        session.flush()
        return operation, connection
    operation.status = PushStatus.SUCCESS
    operation.status_code = 200
    operation.completed = utcnow()
    operation.changes = [
        {
            "type": "Modified" if modified else "Created",
            "recordRef": {"id": record_id, "dataType": data_type},
        }
    ]
    operation.data = data
    return operation, connection


def _cache(
    session: Session, connection: Connection, data_type: ReferenceDataType, record: LedgerRecord
) -> None:
    """Keep the cache in step at once, so the new record is usable before the next read."""
    existing = records_by_platform_id(session, connection.id, data_type.value, [record.id])
    save_record(session, connection, data_type, record, existing.get(record.id), utcnow())
    reference_changed(session, connection.id)
    session.flush()


def push_contact(
    session: Session,
    context: LedgerContext,
    client_id: str,
    company_id: str,
    connection_id: str,
    data_type: ReferenceDataType,
    contact: LedgerContact,
    existing_id: str | None,
) -> PushOperation:
    saved: list[LedgerContact] = []

    def write(ledger: LinkedLedger) -> tuple[str, dict[str, Any]]:
        stored = ledger.save_contact(data_type, contact, existing_id)
        saved.append(stored)
        schema = (
            supplier_to_schema(stored, utcnow())
            if data_type is ReferenceDataType.SUPPLIERS
            else customer_to_schema(stored, utcnow())
        )
        return stored.id, schema.model_dump(mode="json", by_alias=True)

    operation, connection = _run_push(
        session,
        context,
        client_id,
        company_id,
        connection_id,
        data_type.value,
        existing_id is not None,
        write,
    )
    if saved:
        _cache(session, connection, data_type, saved[0])
    return operation


def account_creation(
    session: Session, client_id: str, company_id: str, connection_id: str
) -> tuple[str, AccountCreation]:
    """The platform's name and account rules, or 400 where it cannot create accounts."""
    connection = get_connection(session, client_id, company_id, connection_id)
    platform = find_platform(connection.platform_key)
    if platform is None or platform.capabilities.accounts is None:
        name = platform.name if platform else connection.platform_key
        raise BadRequest(f"Creating accounts is not supported by {name}.")
    return platform.name, platform.capabilities.accounts


def check_account(rules: AccountCreation, account: NewAccount) -> None:
    """The platform's account rules, all problems at once, before anything is sent."""
    bank = account.bank_kind is not BankKind.NONE
    name_field = "AccountName" if bank else "Name"
    problems: list[ValidationItem] = []
    if len(account.name) > rules.name_max_length:
        problems.append(
            ValidationItem(
                item_id=name_field,
                message=f"Must be at most {rules.name_max_length} characters.",
                validator_name="MaxLength",
            )
        )
    categories = dict(rules.bank_categories if bank else rules.categories)
    if not bank and account.category not in categories:
        problems.append(
            ValidationItem(
                item_id="FullyQualifiedCategory",
                message="Must be one of: " + ", ".join(categories) + ".",
                validator_name="AllowedValues",
            )
        )
    code = account.nominal_code
    if not bank and rules.nominal_code_required and not code:
        problems.append(
            ValidationItem(item_id="NominalCode", message="Is required.", validator_name="Required")
        )
    if code and rules.nominal_code_max_length and len(code) > rules.nominal_code_max_length:
        problems.append(
            ValidationItem(
                item_id="NominalCode",
                message=f"Must be at most {rules.nominal_code_max_length} characters.",
                validator_name="MaxLength",
            )
        )
    if bank and rules.bank_account_number_required and not account.account_number:
        problems.append(
            ValidationItem(
                item_id="AccountNumber", message="Is required.", validator_name="Required"
            )
        )
    if problems:
        raise BadRequest(
            "There are problems with the request, see the Validation property for more detail.",
            errors=problems,
        )


def push_account(
    session: Session,
    context: LedgerContext,
    client_id: str,
    company_id: str,
    connection_id: str,
    account: NewAccount,
    data_type: str,
    render: Callable[[LedgerAccount, NewAccount], dict[str, Any]],
) -> PushOperation:
    """Create an account (`chartOfAccounts`) or a bank account (`bankAccounts`)."""
    _, rules = account_creation(session, client_id, company_id, connection_id)
    check_account(rules, account)
    saved: list[LedgerAccount] = []

    def write(ledger: LinkedLedger) -> tuple[str, dict[str, Any]]:
        stored = ledger.save_account(account)
        saved.append(stored)
        return stored.id, render(stored, account)

    operation, connection = _run_push(
        session, context, client_id, company_id, connection_id, data_type, False, write
    )
    if saved:
        _cache(session, connection, ReferenceDataType.CHART_OF_ACCOUNTS, saved[0])
    return operation


def list_pushes(
    session: Session, client_id: str, company_id: str, params: PageParams
) -> tuple[list[PushOperation], int]:
    get_company(session, client_id, company_id)
    where, order_by = list_filters(params, PUSH_FIELDS, "PushOperation")
    query = select(PushOperation).where(
        PushOperation.client_id == client_id, PushOperation.company_id == company_id, *where
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(*order_by, PushOperation.requested.desc(), PushOperation.id)
        .offset(params.offset)
        .limit(params.page_size)
    ).all()
    return list(rows), total


def get_push(session: Session, client_id: str, company_id: str, key: str) -> PushOperation:
    get_company(session, client_id, company_id)
    row = session.scalar(
        select(PushOperation).where(
            PushOperation.client_id == client_id,
            PushOperation.company_id == company_id,
            PushOperation.id == key,
        )
    )
    if row is None:
        raise NotFound(f"No push operation was found with key {key}")
    return row
