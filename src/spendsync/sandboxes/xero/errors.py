"""Xero's error signals as domain exceptions, each knowing the body Xero sends for it.

The backend (``state.py``) raises these without knowing about HTTP; ``app.py`` renders them with
one exception handler. Bodies follow what the Accounting API returns:

* 400 ``{"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception
  occurred", "Elements": [{…echo of the element…, "ValidationErrors": [{"Message": …}]}]}``
  (the ``Error`` schema of the OpenAPI spec);
* 400 ``PostDataInvalidException`` (ErrorNumber 14) for a body that is not the expected JSON and
  ``QueryParseException`` (ErrorNumber 16) for a ``where`` clause it cannot parse;
* 404 with the plain-text body ``The resource you're looking for cannot be found``;
* 401/403 "problem" JSON (``Type``/``Title``/``Status``/``Detail``/``Instance``/``Extensions``)
  from the API gateway for token and tenant failures.

Where Xero's exact wording is not documented, messages follow Xero's style and say so in a
comment at the place they are raised (see ``messages.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

VALIDATION_MESSAGE = "A validation exception occurred"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


class XeroError(Exception):
    """An error the sandbox answers with a Xero body."""

    status_code = 400

    def body(self) -> Any:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class ValidationFailed(XeroError):
    """One or more elements of a write failed Xero's validation rules."""

    def __init__(self, elements: list[dict[str, Any]], status_code: int = 400) -> None:
        super().__init__(VALIDATION_MESSAGE)
        self.elements = elements
        self.status_code = status_code

    @classmethod
    def single(cls, message: str, status_code: int = 400) -> ValidationFailed:
        return cls([{"ValidationErrors": [{"Message": message}]}], status_code)

    def body(self) -> dict[str, Any]:
        return {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": VALIDATION_MESSAGE,
            "Elements": self.elements,
        }


class PostDataInvalid(XeroError):
    """The request body could not be read as the expected document."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": self.message}


class QueryParseError(XeroError):
    """A ``where``/``order`` expression Xero's query parser would reject."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"ErrorNumber": 16, "Type": "QueryParseException", "Message": self.message}


class NotFound(XeroError):
    """An unknown id in the URL path."""

    status_code = 404

    def body(self) -> str:
        return NOT_FOUND_TEXT


class IdempotencyConflict(XeroError):
    """An ``Idempotency-Key`` reused for a different request (method, URL or body).

    Xero answers 400 with "Idempotency Key: <key> is used with a different request." (wording
    as reported by integrators; the response shape is the usual ``Error`` document).
    """

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def body(self) -> dict[str, Any]:
        return {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": f"Idempotency Key: {self.key} is used with a different request.",
            "Elements": [],
        }


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """The API gateway's problem document used for 401 and 403."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
