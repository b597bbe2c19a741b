from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from spendsync.api.schema import CamelModel
from spendsync.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class WebhookEndpointRequest(CamelModel):
    model_config = ConfigDict(title="WebhookEndpointRequest", extra="forbid")

    url: Url
    event_types: list[str] | None = Field(
        default=None, description="Default: every event type (expenses.sync.*)."
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class WebhookEndpointUpdate(CamelModel):
    model_config = ConfigDict(title="WebhookEndpointUpdate", extra="forbid")

    url: Url | None = None
    event_types: list[str] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    disabled: bool | None = None


class WebhookEndpointOut(CamelModel):
    model_config = ConfigDict(title="WebhookEndpoint")

    id: str
    url: str
    event_types: list[str]
    description: str | None
    disabled: bool
    created: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    model_config = ConfigDict(title="WebhookEndpointCreated")

    secret: str = Field(description="The Standard Webhooks signing secret (whsec_…).")


class WebhookSecret(CamelModel):
    secret: str


class WebhookEndpoints(CamelModel):
    results: list[WebhookEndpointOut]


class WebhookDeliveryOut(CamelModel):
    model_config = ConfigDict(title="WebhookDelivery")

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    company_id: str | None
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created: datetime
    last_attempt: datetime | None
    payload: dict[str, Any]


class WebhookDeliveries(CamelModel):
    results: list[WebhookDeliveryOut]
    page_number: int
    page_size: int
    total_results: int
    links: dict[str, Any] = Field(alias="_links")


def endpoint_to_schema(row: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=row.id,
        url=row.url,
        event_types=row.event_types,
        description=row.description,
        disabled=row.disabled,
        created=row.created,
    )


def delivery_to_schema(row: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        company_id=row.company_id,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created=row.created,
        last_attempt=row.last_attempt,
        payload=row.payload,
    )
