from __future__ import annotations

from contextlib import closing

from sqlalchemy.orm import Session

from spendsync.connections.service import accounting_connection
from spendsync.connectors.base import CompanyInformation, LedgerContext
from spendsync.connectors.registry import open_ledger


def get_company_info(
    session: Session, context: LedgerContext, client_id: str, company_id: str
) -> CompanyInformation:
    """Asked of the company's linked ledger through its connector."""
    connection = accounting_connection(session, client_id, company_id)
    with closing(open_ledger(connection, context)) as ledger:
        return ledger.get_company_info()
