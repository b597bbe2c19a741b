"""spendsync's own webhook management API (Codat manages webhooks in its portal)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from spendsync.api.deps import ClientIdDep, SessionDep
from spendsync.api.paging import PageParams, page_params, paging_info
from spendsync.api.responses import error_responses
from spendsync.api.settings import SettingsDep
from spendsync.secretbox import secret_box
from spendsync.webhooks import service
from spendsync.webhooks.schemas import (
    WebhookDeliveries,
    WebhookDeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointOut,
    WebhookEndpointRequest,
    WebhookEndpoints,
    WebhookEndpointUpdate,
    WebhookSecret,
    delivery_to_schema,
    endpoint_to_schema,
)

router = APIRouter(prefix="/webhooks", tags=["Webhooks (spendsync)"])


@router.post(
    "/endpoints",
    operation_id="create-webhook-endpoint",
    summary="Create a webhook endpoint",
    response_model=WebhookEndpointCreated,
    responses=error_responses(400),
)
def create_endpoint(
    body: WebhookEndpointRequest, session: SessionDep, client_id: ClientIdDep, settings: SettingsDep
) -> WebhookEndpointCreated:
    row, secret = service.create_endpoint(
        session,
        secret_box(settings),
        client_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
    )
    return WebhookEndpointCreated(**endpoint_to_schema(row).model_dump(), secret=secret)


@router.get(
    "/endpoints",
    operation_id="list-webhook-endpoints",
    summary="List webhook endpoints",
    response_model=WebhookEndpoints,
    responses=error_responses(),
)
def list_endpoints(session: SessionDep, client_id: ClientIdDep) -> WebhookEndpoints:
    return WebhookEndpoints(
        results=[endpoint_to_schema(e) for e in service.list_endpoints(session, client_id)]
    )


@router.get(
    "/endpoints/{endpointId}",
    operation_id="get-webhook-endpoint",
    summary="Get a webhook endpoint",
    response_model=WebhookEndpointOut,
    responses=error_responses(400, 404),
)
def get_endpoint(
    endpointId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> WebhookEndpointOut:
    return endpoint_to_schema(service.get_endpoint(session, client_id, str(endpointId)))


@router.get(
    "/endpoints/{endpointId}/secret",
    operation_id="get-webhook-endpoint-secret",
    summary="Get a webhook endpoint's signing secret",
    response_model=WebhookSecret,
    responses=error_responses(400, 404),
)
def get_endpoint_secret(
    endpointId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
    settings: SettingsDep,
) -> WebhookSecret:
    endpoint = service.get_endpoint(session, client_id, str(endpointId))
    return WebhookSecret(secret=secret_box(settings).open(endpoint.sealed_secret))


@router.patch(
    "/endpoints/{endpointId}",
    operation_id="update-webhook-endpoint",
    summary="Update a webhook endpoint",
    response_model=WebhookEndpointOut,
    responses=error_responses(400, 404),
)
def update_endpoint(
    endpointId: UUID,  # noqa: N803
    body: WebhookEndpointUpdate,
    session: SessionDep,
    client_id: ClientIdDep,
) -> WebhookEndpointOut:
    row = service.update_endpoint(
        session, client_id, str(endpointId), body.model_dump(exclude_unset=True)
    )
    return endpoint_to_schema(row)


@router.delete(
    "/endpoints/{endpointId}",
    operation_id="delete-webhook-endpoint",
    summary="Delete a webhook endpoint",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 404),
)
def delete_endpoint(
    endpointId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> Response:
    service.delete_endpoint(session, client_id, str(endpointId))
    return Response(status_code=204)


@router.get(
    "/deliveries",
    operation_id="list-webhook-deliveries",
    summary="Delivery log",
    response_model=WebhookDeliveries,
    responses=error_responses(400),
)
def list_deliveries(
    session: SessionDep,
    client_id: ClientIdDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> WebhookDeliveries:
    rows, total = service.list_deliveries(session, client_id, params)
    return WebhookDeliveries.model_validate(
        {
            "results": [delivery_to_schema(r) for r in rows],
            **paging_info("/webhooks/deliveries", params, total),
        }
    )


@router.get(
    "/deliveries/{deliveryId}",
    operation_id="get-webhook-delivery",
    summary="Get a delivery",
    response_model=WebhookDeliveryOut,
    responses=error_responses(400, 404),
)
def get_delivery(
    deliveryId: UUID,  # noqa: N803
    session: SessionDep,
    client_id: ClientIdDep,
) -> WebhookDeliveryOut:
    return delivery_to_schema(service.get_delivery(session, client_id, str(deliveryId)))
