"""Webhook endpoints (a small API of spendsync's own), events recorded when syncs end, and one
delivery attempt (signed per Standard Webhooks: `webhook-id`, `webhook-timestamp`,
`webhook-signature` headers over `{id}.{timestamp}.{body}`)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from spendsync.api.listing import list_filters
from spendsync.api.paging import PageParams
from spendsync.companies.models import Company
from spendsync.db.base import utcnow
from spendsync.errors import BadRequest, NotFound, ValidationItem
from spendsync.query import FieldKind, QueryField
from spendsync.secretbox import SecretBox
from spendsync.syncs.models import Sync, SyncTransaction
from spendsync.webhooks.events import sync_event
from spendsync.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS_PER_CLIENT = 20


def _check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or len(url) > 2000:
        raise BadRequest(
            "The webhook URL must be an absolute http(s) URL.",
            errors=[ValidationItem("Url", "Expected e.g. https://example.com/hooks/codat.")],
        )
    return url


def _check_event_types(event_types: Sequence[str] | None) -> list[str]:
    chosen = list(event_types) if event_types else list(EVENT_TYPES)
    unknown = sorted(set(chosen) - set(EVENT_TYPES))
    if unknown:
        raise BadRequest(
            f"Unknown event types: {', '.join(unknown)}.",
            errors=[ValidationItem("EventTypes", f"Expected some of: {', '.join(EVENT_TYPES)}.")],
        )
    return sorted(set(chosen))


def new_signing_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create_endpoint(
    session: Session,
    box: SecretBox,
    client_id: str,
    *,
    url: str,
    event_types: Sequence[str] | None,
    description: str | None,
) -> tuple[WebhookEndpoint, str]:
    count = len(list_endpoints(session, client_id))
    if count >= MAX_ENDPOINTS_PER_CLIENT:
        raise BadRequest(f"A client may have at most {MAX_ENDPOINTS_PER_CLIENT} webhook endpoints.")
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        client_id=client_id,
        url=_check_url(url),
        event_types=_check_event_types(event_types),
        description=description,
        sealed_secret=box.seal(secret),
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session, client_id: str) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.client_id == client_id)
            .order_by(WebhookEndpoint.created, WebhookEndpoint.id)
        )
    )


def get_endpoint(session: Session, client_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.client_id == client_id, WebhookEndpoint.id == endpoint_id
        )
    )
    if endpoint is None:
        raise NotFound(f"No webhook endpoint was found with ID {endpoint_id}")
    return endpoint


def update_endpoint(
    session: Session, client_id: str, endpoint_id: str, changes: Mapping[str, Any]
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, client_id, endpoint_id)
    if changes.get("url") is not None:
        endpoint.url = _check_url(str(changes["url"]))
    if "event_types" in changes:
        endpoint.event_types = _check_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("disabled") is not None:
        endpoint.disabled = bool(changes["disabled"])
    session.flush()
    return endpoint


def delete_endpoint(session: Session, client_id: str, endpoint_id: str) -> None:
    session.delete(get_endpoint(session, client_id, endpoint_id))
    session.flush()


DELIVERY_FIELDS: Mapping[str, QueryField] = {
    "id": QueryField(WebhookDelivery.id, FieldKind.UUID),
    "eventId": QueryField(WebhookDelivery.event_id, FieldKind.UUID),
    "eventType": QueryField(WebhookDelivery.event_type, FieldKind.STRING),
    "endpointId": QueryField(WebhookDelivery.endpoint_id, FieldKind.UUID),
    "companyId": QueryField(WebhookDelivery.company_id, FieldKind.UUID),
    "status": QueryField(WebhookDelivery.status, FieldKind.STRING),
    "created": QueryField(WebhookDelivery.created, FieldKind.DATETIME),
}


def list_deliveries(
    session: Session, client_id: str, params: PageParams
) -> tuple[list[WebhookDelivery], int]:
    from sqlalchemy import func

    where, order_by = list_filters(params, DELIVERY_FIELDS, "WebhookDelivery")
    query = select(WebhookDelivery).where(WebhookDelivery.client_id == client_id, *where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(*order_by, WebhookDelivery.created.desc(), WebhookDelivery.id)
        .offset(params.offset)
        .limit(params.page_size)
    ).all()
    return list(rows), total


def get_delivery(session: Session, client_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.client_id == client_id, WebhookDelivery.id == delivery_id
        )
    )
    if delivery is None:
        raise NotFound(f"No webhook delivery was found with ID {delivery_id}")
    return delivery


def record_sync_event(session: Session, sync: Sync) -> list[str]:
    """One delivery per subscribed endpoint of the sync's client; returns their ids."""
    company = session.get(Company, sync.company_id)
    if company is None:
        return []
    transactions = list(
        session.scalars(select(SyncTransaction).where(SyncTransaction.sync_id == sync.id))
    )
    event_id, event_type, body = sync_event(company, sync, transactions, utcnow())
    deliveries = [
        WebhookDelivery(
            client_id=sync.client_id,
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            company_id=sync.company_id,
            payload=body,
        )
        for endpoint in list_endpoints(session, sync.client_id)
        if not endpoint.disabled and event_type in endpoint.event_types
    ]
    session.add_all(deliveries)
    session.flush()
    return [d.id for d in deliveries]


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    give_up: bool = False


def attempt_delivery(
    session: Session, box: SecretBox, delivery_id: str, *, timeout: float
) -> AttemptResult:
    """POST the event once; record the outcome. A 2xx answer is a delivery."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status is not DeliveryStatus.PENDING:
        return AttemptResult(delivered=False, give_up=True)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.disabled:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "The endpoint was disabled or deleted."
        session.commit()
        return AttemptResult(delivered=False, give_up=True)
    body = json.dumps(delivery.payload, separators=(",", ":"))
    now = utcnow()
    signature = Webhook(box.open(endpoint.sealed_secret)).sign(delivery.event_id, now, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "user-agent": "spendsync-webhooks",
    }
    delivery.attempts += 1
    delivery.last_attempt = now
    try:
        response = httpx.post(endpoint.url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        delivery.last_status_code = None
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        session.commit()
        return AttemptResult(delivered=False)
    delivery.last_status_code = response.status_code
    if response.is_success:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.last_error = None
        session.commit()
        return AttemptResult(delivered=True)
    delivery.last_error = f"HTTP {response.status_code}: {response.text[:500]}"
    session.commit()
    return AttemptResult(delivered=False)


def give_up(session: Session, delivery_id: str) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.status is DeliveryStatus.PENDING:
        delivery.status = DeliveryStatus.FAILED
        session.commit()
