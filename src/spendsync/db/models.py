"""Every mapped model, imported in one place so that Alembic and tests see the whole schema."""

from spendsync.attachments.models import Attachment
from spendsync.clients.models import ApiKey, Client
from spendsync.companies.models import Company, CompanyTag
from spendsync.configuration.models import CompanyConfiguration
from spendsync.connections.models import Connection
from spendsync.connectors.models import PlatformCall, PlatformCallBudget, PlatformCallSlot
from spendsync.db.base import Base
from spendsync.idempotency.models import IdempotencyRecord
from spendsync.jobs.models import WorkerHeartbeat
from spendsync.link.models import AuthorizationRequest
from spendsync.pushes.models import PushOperation
from spendsync.reference.models import PullOperation, ReferenceRecord
from spendsync.syncs.models import PostedTransaction, Sync, SyncTransaction
from spendsync.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "Attachment",
    "AuthorizationRequest",
    "Base",
    "Client",
    "Company",
    "CompanyConfiguration",
    "CompanyTag",
    "Connection",
    "IdempotencyRecord",
    "PlatformCall",
    "PlatformCallBudget",
    "PlatformCallSlot",
    "PostedTransaction",
    "PullOperation",
    "PushOperation",
    "ReferenceRecord",
    "Sync",
    "SyncTransaction",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
