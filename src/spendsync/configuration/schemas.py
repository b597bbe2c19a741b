from __future__ import annotations

from pydantic import ConfigDict

from spendsync.api.schema import CamelModel
from spendsync.configuration.models import CompanyConfiguration as ConfigurationRow
from spendsync.expenses.schemas import RefId


class RefById(CamelModel):
    id: RefId | None = None


class ConfigurationWarning(CamelModel):
    item_id: str
    message: str


class CompanyConfiguration(CamelModel):
    """Codat's `CompanyConfiguration`: the fallbacks for transactions without refs."""

    model_config = ConfigDict(title="CompanyConfiguration")

    bank_account: RefById
    supplier: RefById
    customer: RefById


class CompanyConfigurationWithWarnings(CompanyConfiguration):
    """As Codat's, plus spendsync's `warnings`: configured records the ledger no longer has
    (or has archived), so transactions relying on them would fail."""

    warnings: list[ConfigurationWarning] = []


def configuration_to_schema(row: ConfigurationRow | None) -> CompanyConfiguration:
    return CompanyConfiguration(
        bank_account=RefById(id=row.bank_account_id if row else None),
        supplier=RefById(id=row.supplier_id if row else None),
        customer=RefById(id=row.customer_id if row else None),
    )
