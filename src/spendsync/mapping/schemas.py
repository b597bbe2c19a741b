from __future__ import annotations

from pydantic import ConfigDict

from spendsync.api.schema import CamelModel, JsonDecimal


class AccountMappingInfo(CamelModel):
    model_config = ConfigDict(title="AccountMappingInfo", extra="forbid")

    id: str
    nominal_code: str | None
    name: str
    currency: str
    account_type: str
    fully_qualified_category: str
    is_bank_account: bool
    valid_transaction_types: list[str]
    valid_for: list[str]


class TaxRateMappingInfo(CamelModel):
    model_config = ConfigDict(title="TaxRateMappingInfo", extra="forbid")

    id: str
    name: str
    code: str | None
    effective_tax_rate: JsonDecimal
    total_tax_rate: JsonDecimal
    valid_transaction_types: list[str]


class TrackingCategoryMappingInfo(CamelModel):
    model_config = ConfigDict(title="TrackingCategoryMappingInfo", extra="forbid")

    id: str
    name: str
    has_children: bool
    parent_id: str | None


class MappingOptions(CamelModel):
    model_config = ConfigDict(title="MappingOptions", extra="forbid")

    expense_provider: str | None
    accounts: list[AccountMappingInfo] | None
    tracking_categories: list[TrackingCategoryMappingInfo] | None
    tax_rates: list[TaxRateMappingInfo] | None
