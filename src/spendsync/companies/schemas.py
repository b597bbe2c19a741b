"""Codat's `Company` model and the bodies that create or change one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from spendsync.api.schema import CamelModel
from spendsync.companies.models import Company as CompanyRow
from spendsync.connections.schemas import Connection, connection_to_schema

# Codat's pattern for company names (CompanyRequestBody.name).
COMPANY_NAME_PATTERN = r"^[A-Za-z0-9\s\-',&@.,?!\s]+$"

CompanyName = Annotated[
    str, StringConstraints(min_length=1, max_length=400, pattern=COMPANY_NAME_PATTERN)
]
Description = Annotated[str, StringConstraints(max_length=4000)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=27)]
TagValue = Annotated[str, StringConstraints(max_length=100)]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=10)]


class CompanyRequestBody(CamelModel):
    model_config = ConfigDict(title="CompanyRequestBody")

    name: CompanyName = Field(examples=["Bank of Dave"])
    description: Description | None = None
    tags: Tags | None = None


class CompanyUpdateRequest(CamelModel):
    model_config = ConfigDict(title="CompanyUpdateRequest")

    name: CompanyName | None = None
    description: Description | None = None
    tags: Tags | None = None


class CompanyReference(CamelModel):
    id: str
    name: str
    description: str | None = None
    links: dict[str, Any] | None = None


class Company(CamelModel):
    model_config = ConfigDict(title="Company")

    id: str
    name: str
    description: str | None = None
    redirect: str
    last_sync: datetime | None = None
    created: datetime
    created_by_user_name: str | None = None
    products: list[str]
    tags: dict[str, str]
    reference_parent_company: CompanyReference | None = None
    reference_subsidiary_companies: list[CompanyReference]
    data_connections: list[Connection]


class Companies(CamelModel):
    results: list[Company]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


PRODUCTS = ["expenses"]


def company_redirect(public_url: str, company_id: str) -> str:
    return f"{public_url.rstrip('/')}/link/companies/{company_id}"


def company_to_schema(row: CompanyRow, public_url: str) -> Company:
    return Company(
        id=row.id,
        name=row.name,
        description=row.description,
        redirect=company_redirect(public_url, row.id),
        last_sync=row.last_sync,
        created=row.created,
        created_by_user_name=row.created_by_user_name,
        products=PRODUCTS,
        tags={tag.key: tag.value for tag in row.tags},
        reference_parent_company=None,
        reference_subsidiary_companies=[],
        data_connections=[connection_to_schema(c, public_url) for c in row.connections],
    )
