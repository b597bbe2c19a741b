"""OpenAPI descriptions of the error responses every operation can return."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from spendsync.api.schema import CamelModel


class ErrorValidationItem(CamelModel):
    item_id: str | None = None
    message: str | None = None
    validator_name: str | None = None


class ErrorValidation(CamelModel):
    errors: list[ErrorValidationItem] | None = None
    warnings: list[ErrorValidationItem] | None = None


class ErrorMessage(CamelModel):
    status_code: int = Field(description="The HTTP status code returned by the error.")
    service: str
    error: str = Field(description="A brief description of the error.")
    correlation_id: str
    validation: ErrorValidation | None = None
    can_be_retried: str
    detailed_error_code: int | None = None


_DESCRIPTIONS = {
    400: "The request made is not valid.",
    401: "Your API request was not properly authorized.",
    404: "One or more of the resources you referenced could not be found.",
    409: "The request conflicts with the current state of the resource.",
    413: "The request body is too large.",
    422: "The request could not be processed.",
    429: "Too many requests were made.",
    500: "An internal error occurred.",
    503: "The service is temporarily unavailable.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    wanted = sorted({401, 429, 500, 503, *codes})
    return {code: {"model": ErrorMessage, "description": _DESCRIPTIONS[code]} for code in wanted}
