from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from spendsync.api.schema import CamelModel
from spendsync.connections.models import SourceType
from spendsync.connectors.registry import Platform, has_connector


class TransactionTypeCapability(CamelModel):
    transaction_type: str = Field(description="Payment, Refund, Reward, Chargeback, Transfer, …")
    create: bool
    update: bool
    attachments: bool


class IntegrationCapabilities(CamelModel):
    connector_available: bool = Field(
        description="Whether this server has the connector, so connections can be linked."
    )
    transaction_types: list[TransactionTypeCapability]
    max_attachment_bytes: int | None = None


class Integration(CamelModel):
    """Codat's `Integration`, plus spendsync's capability matrix."""

    model_config = ConfigDict(title="Integration")

    key: str
    name: str
    enabled: bool
    integration_id: str
    source_id: str
    source_type: SourceType
    is_offline_connector: bool
    is_beta: bool
    data_provided_by: str
    logo_url: str | None = None
    capabilities: IntegrationCapabilities


class Integrations(CamelModel):
    results: list[Integration]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


def integration_to_schema(platform: Platform) -> Integration:
    available = has_connector(platform.key)
    return Integration(
        key=platform.key.value,
        name=platform.name,
        enabled=True,
        integration_id=platform.integration_id,
        source_id=platform.source_id,
        source_type=platform.source_type,
        is_offline_connector=platform.is_offline,
        is_beta=not available,
        data_provided_by="spendsync",
        capabilities=IntegrationCapabilities(
            connector_available=available,
            transaction_types=[
                TransactionTypeCapability(
                    transaction_type=kind.value,
                    create=support.create,
                    update=support.update,
                    attachments=support.attachments,
                )
                for kind, support in platform.capabilities.kinds.items()
            ],
            max_attachment_bytes=platform.capabilities.max_attachment_bytes,
        ),
    )
