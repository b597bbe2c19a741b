from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict

from spendsync.api.schema import CamelModel
from spendsync.connectors.base import CompanyInformation as LedgerCompanyInformation


class CompanyInformation(CamelModel):
    model_config = ConfigDict(title="CompanyInformation")

    company_name: str
    accounting_platform_ref: str | None = None
    registration_number: str | None = None
    base_currency: str
    financial_year_start_date: datetime | None = None
    source_urls: dict[str, str] = {}
    created_date: datetime | None = None


def company_information_to_schema(info: LedgerCompanyInformation) -> CompanyInformation:
    return CompanyInformation(
        company_name=info.company_name,
        accounting_platform_ref=info.accounting_platform_ref,
        registration_number=info.registration_number,
        base_currency=info.base_currency,
        financial_year_start_date=info.financial_year_start_date,
        source_urls=info.source_urls,
        created_date=info.created_date,
    )
