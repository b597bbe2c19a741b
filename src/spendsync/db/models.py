"""Every mapped model, imported in one place so that Alembic and tests see the whole schema."""

from spendsync.clients.models import ApiKey, Client
from spendsync.companies.models import Company, CompanyTag
from spendsync.connections.models import Connection
from spendsync.db.base import Base
from spendsync.idempotency.models import IdempotencyRecord

__all__ = ["ApiKey", "Base", "Client", "Company", "CompanyTag", "Connection", "IdempotencyRecord"]
