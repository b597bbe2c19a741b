"""The one exception tree of the API. Services raise these; one handler renders Codat's envelope.

Codat's `ErrorMessage`: ``statusCode``, ``service``, ``error``, ``correlationId``,
``validation`` (``errors``/``warnings`` of ``itemId``/``message``/``validatorName``),
``canBeRetried`` and ``detailedErrorCode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

SERVICE_NAME = "PublicApi"


@dataclass(frozen=True)
class ValidationItem:
    item_id: str | None
    message: str
    validator_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "itemId": self.item_id,
            "message": self.message,
            "validatorName": self.validator_name,
        }


class ApiError(Exception):
    """An error with a place in Codat's error envelope."""

    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "There is a problem with our server. Please try again later."
    can_be_retried: ClassVar[str] = "Unknown"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Sequence[ValidationItem] = (),
        warnings: Sequence[ValidationItem] = (),
        detailed_error_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = list(errors)
        self.warnings = list(warnings)
        self.detailed_error_code = detailed_error_code
        self.headers = headers or {}
        super().__init__(self.message)

    def to_json(self, correlation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status_code,
            "service": SERVICE_NAME,
            "error": self.message,
            "correlationId": correlation_id,
            "validation": None,
            "canBeRetried": self.can_be_retried,
        }
        if self.errors or self.warnings:
            body["validation"] = {
                "errors": [e.to_json() for e in self.errors],
                "warnings": [w.to_json() for w in self.warnings],
            }
        if self.detailed_error_code is not None:
            body["detailedErrorCode"] = self.detailed_error_code
        return body


class BadRequest(ApiError):
    status_code = 400
    default_message = "Error processing request - not valid."
    can_be_retried = "No"


class Unauthorized(ApiError):
    status_code = 401
    default_message = "Unauthorized"
    can_be_retried = "No"


class NotFound(ApiError):
    status_code = 404
    default_message = "Not found"
    can_be_retried = "No"


class MethodNotAllowed(ApiError):
    status_code = 405
    default_message = "Method not allowed"
    can_be_retried = "No"


class Conflict(ApiError):
    status_code = 409
    default_message = "Conflict"
    can_be_retried = "No"


class PayloadTooLarge(ApiError):
    status_code = 413
    default_message = "Request body too large."
    can_be_retried = "No"


class UnsupportedMediaType(ApiError):
    status_code = 415
    default_message = "Unsupported content type; send application/json."
    can_be_retried = "No"


class Unprocessable(ApiError):
    status_code = 422
    default_message = "The request could not be processed."
    can_be_retried = "No"


class TooManyRequests(ApiError):
    status_code = 429
    default_message = (
        "You have made too many requests in a given amount of time; please retry later."
    )
    can_be_retried = "Yes"


class InternalError(ApiError):
    status_code = 500
    can_be_retried = "Unknown"


class ServiceUnavailable(ApiError):
    status_code = 503
    default_message = "The API is temporarily unavailable. Please try again later."
    can_be_retried = "Yes"


STATUS_TO_ERROR: dict[int, type[ApiError]] = {
    cls.status_code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}
