"""Codat's `Connection` model and the bodies that create or change one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from spendsync.api.schema import CamelModel
from spendsync.connections.models import Connection as ConnectionRow
from spendsync.connections.models import ConnectionStatus, SourceType
from spendsync.connectors.registry import find_platform


class DataConnectionError(CamelModel):
    status_code: str | None = None
    status_text: str | None = None
    error_message: str | None = None
    erroredOnUtc: datetime | None = None  # noqa: N815 - Codat's casing (UTC suffix)
    status: str | None = None
    resolvedOnUtc: datetime | None = None  # noqa: N815


class Connection(CamelModel):
    """A company's connection to a data source (Codat `Connection`)."""

    model_config = ConfigDict(title="Connection")

    id: str
    integration_id: str
    integration_key: str
    source_id: str
    source_type: SourceType
    platform_name: str
    link_url: str
    status: ConnectionStatus
    last_sync: datetime | None = None
    created: datetime
    data_connection_errors: list[DataConnectionError] | None = None
    connection_info: dict[str, Any] | None = None


class Connections(CamelModel):
    results: list[Connection]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


class CreateConnectionRequest(CamelModel):
    platform_key: str = Field(
        min_length=4,
        max_length=4,
        pattern="^[a-z]{4}$",
        description="The 4-letter key of the platform (see GET /integrations).",
        examples=["gbol"],
    )


class UpdateConnection(CamelModel):
    """Only `status: Unlinked` is a change a client may make."""

    model_config = ConfigDict(extra="forbid", title="UpdateConnection")

    status: ConnectionStatus | None = None


def link_url(public_url: str, row: ConnectionRow) -> str:
    return (
        f"{public_url.rstrip('/')}/link/companies/{row.company_id}"
        f"/connections/{row.id}/start?otp={row.link_token}"
    )


def connection_to_schema(row: ConnectionRow, public_url: str) -> Connection:
    platform = find_platform(row.platform_key)
    return Connection(
        id=row.id,
        integration_id=platform.integration_id if platform else row.platform_key,
        integration_key=row.platform_key,
        source_id=platform.source_id if platform else row.platform_key,
        source_type=row.source_type,
        platform_name=platform.name if platform else row.platform_key,
        link_url=link_url(public_url, row),
        status=row.status,
        last_sync=row.last_sync,
        created=row.created,
        data_connection_errors=[
            DataConnectionError.model_validate(e) for e in row.data_connection_errors
        ],
        connection_info=row.connection_info,
    )
