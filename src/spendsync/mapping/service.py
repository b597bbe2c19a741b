"""Mapping options from the cached reference data, with spendsync's validity rules."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spendsync.connections.service import accounting_connection
from spendsync.connectors.reference import (
    LedgerAccount,
    LedgerTaxRate,
    LedgerTrackingCategory,
    RecordStatus,
    ReferenceDataType,
)
from spendsync.mapping import rules
from spendsync.mapping.schemas import (
    AccountMappingInfo,
    MappingOptions,
    TaxRateMappingInfo,
    TrackingCategoryMappingInfo,
)
from spendsync.reference.service import cached_records

EXPENSE_PROVIDER = "Partner Expense"


def get_mapping_options(session: Session, client_id: str, company_id: str) -> MappingOptions:
    connection = accounting_connection(session, client_id, company_id)
    accounts = [
        r
        for r in cached_records(session, connection, ReferenceDataType.CHART_OF_ACCOUNTS)
        if isinstance(r, LedgerAccount) and r.status is RecordStatus.ACTIVE
    ]
    tax_rates = [
        r
        for r in cached_records(session, connection, ReferenceDataType.TAX_RATES)
        if isinstance(r, LedgerTaxRate) and r.status is RecordStatus.ACTIVE
    ]
    tracking = [
        r
        for r in cached_records(session, connection, ReferenceDataType.TRACKING_CATEGORIES)
        if isinstance(r, LedgerTrackingCategory) and r.status is RecordStatus.ACTIVE
    ]
    return MappingOptions(
        expense_provider=EXPENSE_PROVIDER,
        accounts=[
            AccountMappingInfo(
                id=a.id,
                nominal_code=a.nominal_code,
                name=a.name,
                currency=a.currency,
                account_type=a.account_type.value,
                fully_qualified_category=a.category,
                is_bank_account=a.is_bank_account,
                valid_transaction_types=rules.valid_transaction_types(a),
                valid_for=rules.valid_for(a),
            )
            for a in accounts
        ],
        tax_rates=[
            TaxRateMappingInfo(
                id=t.id,
                name=t.name,
                code=t.code,
                effective_tax_rate=t.effective_rate,
                total_tax_rate=t.total_rate,
                valid_transaction_types=rules.tax_rate_transaction_types(t),
            )
            for t in tax_rates
        ],
        tracking_categories=[
            TrackingCategoryMappingInfo(
                id=c.id, name=c.name, has_children=c.has_children, parent_id=c.parent_id
            )
            for c in tracking
        ],
    )
