"""Render every failure, ours or the framework's, as Codat's ErrorMessage envelope."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from spendsync.api.context import current_correlation_id
from spendsync.connectors.errors import (
    AuthFailure,
    ConnectorError,
    NotSupported,
    RecordValidation,
    Transient,
)
from spendsync.db.errors import database_unavailable
from spendsync.errors import (
    STATUS_TO_ERROR,
    ApiError,
    BadRequest,
    Conflict,
    InternalError,
    ServiceUnavailable,
    Unprocessable,
    ValidationItem,
)

logger = logging.getLogger("spendsync.api")


def error_response(error: ApiError) -> JSONResponse:
    correlation_id = current_correlation_id()
    return JSONResponse(
        error.to_json(correlation_id),
        status_code=error.status_code,
        headers={**error.headers, "X-Correlation-Id": correlation_id},
    )


def item_id_from_loc(loc: Sequence[str | int]) -> str:
    """Codat's itemId style: ('body', 0, 'lines', 1, 'netAmount') -> Items[0].Lines[1].NetAmount."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    text = "Items" if parts and isinstance(parts[0], int) else ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = str(part)
            text += ("." if text else "") + (name[:1].upper() + name[1:])
    return text or "Body"


def _validation_message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    if err.get("type") == "extra_forbidden":
        return "This property is not allowed."
    return str(err.get("msg", "Invalid value."))


async def _api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        ValidationItem(
            item_id=item_id_from_loc(err.get("loc", ())),
            message=_validation_message(err),
            validator_name=str(err.get("type", "")) or None,
        )
        for err in exc.errors()
    ]
    return error_response(
        BadRequest(
            "There are problems with the request, see the Validation property for more detail.",
            errors=items,
        )
    )


async def _http_exception_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_class = STATUS_TO_ERROR.get(exc.status_code, InternalError)
    message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 500 else None
    if exc.status_code == 404 and message == "Not Found":
        message = "The requested resource was not found."
    error = error_class(message, headers=dict(exc.headers or {}))
    return error_response(error)


async def _database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, DataError):
        # A value that passed validation but the database cannot hold: still bad input.
        logger.warning("value refused by the database: %s", type(exc.orig).__name__)
        return error_response(BadRequest("The request contains a value that cannot be stored."))
    if not database_unavailable(exc):
        return await _unhandled_handler(request, exc)
    logger.warning("database unavailable: %s", type(exc.orig).__name__)
    return error_response(
        ServiceUnavailable(
            "The database is temporarily unavailable. Please try again later.",
            headers={"Retry-After": "5"},
        )
    )


def connector_error_to_api_error(exc: ConnectorError) -> ApiError:
    """A connector failure met while answering a request (not inside a sync)."""
    if isinstance(exc, Transient):
        headers = {"Retry-After": str(round(exc.retry_after))} if exc.retry_after else None
        return ServiceUnavailable(str(exc), headers=headers)
    if isinstance(exc, AuthFailure):
        return Conflict(f"The accounting connection needs to be linked again: {exc}")
    if isinstance(exc, NotSupported | RecordValidation):
        return Unprocessable(str(exc))
    return InternalError()


async def _connector_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConnectorError)
    return error_response(connector_error_to_api_error(exc))


async def _unhandled_handler(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error (correlationId=%s)", current_correlation_id(), exc_info=exc)
    return error_response(InternalError())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ConnectorError, _connector_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
