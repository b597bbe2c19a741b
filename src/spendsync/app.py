"""create_app(): middleware, error handlers and the routers of every domain."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from spendsync import __version__
from spendsync.api.errors import install_error_handlers
from spendsync.api.middleware import (
    BodySizeLimitMiddleware,
    CorrelationIdMiddleware,
    NulInUrlMiddleware,
)
from spendsync.attachments.routes import router as attachments_router
from spendsync.attachments.storage import make_storage
from spendsync.companies.routes import router as companies_router
from spendsync.company_info.routes import router as company_info_router
from spendsync.config import Settings, get_settings
from spendsync.configuration.routes import router as configuration_router
from spendsync.connections.routes import router as connections_router
from spendsync.db.engine import make_engine, make_session_factory
from spendsync.expenses.routes import router as expenses_router
from spendsync.idempotency.middleware import IdempotencyMiddleware
from spendsync.integrations.routes import router as integrations_router
from spendsync.jobs.engine import JobQueue
from spendsync.link.routes import router as link_router
from spendsync.mapping.routes import router as mapping_router
from spendsync.observability.health import jobs_engine
from spendsync.observability.metrics import api_registry
from spendsync.observability.routes import router as observability_router
from spendsync.pushes.routes import router as pushes_router
from spendsync.reference.routes import router as reference_router
from spendsync.syncs.routes import router as syncs_router
from spendsync.webhooks.routes import router as webhooks_router

logger = logging.getLogger("spendsync")

DESCRIPTION = (
    "spendsync: a self-hostable engine for pushing card spend into accounting software, "
    "wire-compatible with Codat's Sync for Expenses API. Authenticate with "
    "`Authorization: Basic <API key or its base64 encoding>`."
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.jobs.close()
    app.state.attachment_storage.close()


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, jobs: JobQueue | None = None
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(
        settings.resolved_database_url(), pool_size=settings.db_pool_size
    )
    session_factory = make_session_factory(engine)

    app = FastAPI(
        title="spendsync (Codat Sync for Expenses compatible)",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.jobs = jobs or JobQueue(settings)
    app.state.attachment_storage = make_storage(settings)
    app.state.metrics_registry = api_registry(session_factory)
    app.state.jobs_probe_engine = jobs_engine(settings.resolved_jobs_database_url())

    install_error_handlers(app)
    for router in (
        companies_router,
        connections_router,
        company_info_router,
        configuration_router,
        expenses_router,
        syncs_router,
        attachments_router,
        mapping_router,
        reference_router,
        pushes_router,
        integrations_router,
        webhooks_router,
        link_router,
        observability_router,
    ):
        app.include_router(router)

    # Starlette runs the last-added middleware first: correlation ids wrap everything.
    app.add_middleware(
        IdempotencyMiddleware,
        session_factory=session_factory,
        ttl_seconds=settings.idempotency_ttl_seconds,
    )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_attachment_bytes,
    )
    app.add_middleware(NulInUrlMiddleware)
    app.add_middleware(CorrelationIdMiddleware)
    return app
