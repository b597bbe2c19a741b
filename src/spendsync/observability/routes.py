"""Probes and metrics for the platform team: unauthenticated and kept out of the OpenAPI
document (which mirrors Codat's)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from spendsync.observability.health import check_readiness

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is alive (nothing else is checked)."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: 200, or 503 naming what is not."""
    state = request.app.state
    readiness = check_readiness(state.engine, state.jobs_probe_engine)
    return JSONResponse(
        {"status": "ready" if readiness.ready else "unavailable", "checks": readiness.checks},
        status_code=200 if readiness.ready else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus exposition: this process's metrics and the (global) queue gauges."""
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )
