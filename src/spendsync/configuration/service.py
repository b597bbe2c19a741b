"""A company's expense configuration. Setting it needs the accounting connection; its ids are
checked against the ledger's reference data (accounts, suppliers, customers) once read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spendsync.companies.service import get_company
from spendsync.configuration.models import CompanyConfiguration
from spendsync.connections.service import accounting_connection
from spendsync.db.base import utcnow
from spendsync.errors import BadRequest, Conflict, ValidationItem
from spendsync.expenses import references


def get_configuration(
    session: Session, client_id: str, company_id: str
) -> CompanyConfiguration | None:
    get_company(session, client_id, company_id)
    return session.get(CompanyConfiguration, company_id)


def set_configuration(
    session: Session,
    client_id: str,
    company_id: str,
    *,
    bank_account_id: str | None,
    supplier_id: str | None,
    customer_id: str | None,
) -> CompanyConfiguration:
    get_company(session, client_id, company_id)
    connection = accounting_connection(session, client_id, company_id)
    problems = references.check_configuration(
        references.load(session, connection),
        bank_account_id=bank_account_id,
        supplier_id=supplier_id,
        customer_id=customer_id,
    )
    if problems:
        raise BadRequest(
            "The configuration refers to records the ledger does not have.",
            errors=[ValidationItem(p.item_id, p.message, "LedgerReference") for p in problems],
        )
    row = session.get(CompanyConfiguration, company_id)
    if row is None:
        row = CompanyConfiguration(company_id=company_id, client_id=client_id)
        session.add(row)
    row.bank_account_id = bank_account_id
    row.supplier_id = supplier_id
    row.customer_id = customer_id
    row.updated = utcnow()
    session.flush()
    return row


def configuration_warnings(
    session: Session, client_id: str, company_id: str, row: CompanyConfiguration | None
) -> list[references.Problem]:
    """What the configured ids would fail with now, judged against the latest reads."""
    if row is None:
        return []
    try:
        connection = accounting_connection(session, client_id, company_id)
    except Conflict as exc:
        return [references.Problem("Connection", exc.message)]
    return references.check_configuration(
        references.load(session, connection),
        bank_account_id=row.bank_account_id,
        supplier_id=row.supplier_id,
        customer_id=row.customer_id,
    )
