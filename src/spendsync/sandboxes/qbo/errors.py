"""QuickBooks Online's error signals as domain exceptions, each rendering QBO's Fault envelope.

The backend (``state.py``) raises these without knowing about HTTP; ``app.py`` renders them in
one place. Every error body is::

    {"Fault": {"Error": [{"Message": …, "Detail": …, "code": "6240", "element": ""}],
               "type": "ValidationFault"},
     "time": "2024-02-14T10:00:00.000-08:00"}

HTTP statuses follow Intuit's error-code page: 400 for validation/business faults, 401 for a
missing, expired or revoked token (``AuthenticationFault``, code 3200), 403 when the token does
not cover the company (``AuthorizationFault``, code 3100), 429 when throttled (type ``SERVICE``,
code 3001, which is what QBO's gateway sends), 500/503 for system faults.

Messages follow the wording QBO uses for each code; where Intuit does not document the exact
``Detail`` text the sandbox writes one in the same style.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VALIDATION = "ValidationFault"
SYSTEM = "SystemFault"
AUTHENTICATION = "AuthenticationFault"
AUTHORIZATION = "AuthorizationFault"
THROTTLE = "SERVICE"

INACTIVE_DETAIL = (
    "Something you're trying to use has been made inactive. Check the fields with accounts, "
    "customers, items, vendors or employees."
)
BUSINESS_MESSAGE = "A business validation error has occurred while processing your request"


@dataclass(frozen=True)
class ErrorItem:
    message: str
    detail: str
    code: str
    element: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


class QboError(Exception):
    """An error the sandbox answers with a QBO Fault."""

    def __init__(
        self, errors: list[ErrorItem], fault_type: str = VALIDATION, status_code: int = 400
    ) -> None:
        super().__init__(errors[0].detail if errors else fault_type)
        self.errors = errors
        self.fault_type = fault_type
        self.status_code = status_code

    def fault(self) -> dict[str, Any]:
        return {"Error": [error.to_json() for error in self.errors], "type": self.fault_type}


def validation(message: str, detail: str, code: str, element: str = "") -> QboError:
    return QboError([ErrorItem(message, detail, code, element)])


def required(element: str) -> QboError:
    return validation(
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        "2020",
        element,
    )


def invalid_reference(kind: str, value: str, element: str = "") -> QboError:
    return validation(
        "Invalid Reference Id",
        f"Invalid Reference Id : {kind} element id {value} not found",
        "2500",
        element,
    )


def object_not_found(detail: str = INACTIVE_DETAIL, element: str = "") -> QboError:
    return validation("Object Not Found", f"Object Not Found : {detail}", "610", element)


def business(detail: str, element: str = "") -> QboError:
    return validation(BUSINESS_MESSAGE, f"Business Validation Error: {detail}", "6000", element)


def invalid_enum(element: str, value: Any) -> QboError:
    return validation(
        "Invalid Enumeration",
        f"Invalid Enum {value} : {element}",
        "2040",
        element,
    )


def string_length(element: str, maximum: int, supplied: int) -> QboError:
    return validation(
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} "
        f"supported. Supplied length:{supplied}",
        "6000",
        element,
    )


def stale_object(entity: str, supplied: Any, current: str) -> QboError:
    return validation(
        "Stale Object Error",
        f"Stale Object Error : You and root were working on this at the same time. root "
        f"finished before you did, so your work was not saved. ({entity} SyncToken supplied "
        f"{supplied}, current {current})",
        "5010",
    )


def duplicate_name(name: str, owner: str = "customer, vendor or employee") -> QboError:
    return validation(
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {owner} is already using this name. "
        f"Please use a different name. Name: {name}",
        "6240",
    )


def unsupported_operation(detail: str) -> QboError:
    return validation("Unsupported Operation", f"Operation {detail} is not supported.", "500")


def request_not_understood(detail: str) -> QboError:
    return validation("Request has invalid or unsupported property", detail, "2010")


def query_parse(detail: str) -> QboError:
    return validation("Error parsing query", f"QueryParserError: {detail}", "4000")


def query_invalid(detail: str) -> QboError:
    return validation("Invalid query", f"QueryValidationError: {detail}", "4001")


def _size(limit: int) -> str:
    megabytes, rest = divmod(limit, 1024 * 1024)
    return f"{megabytes}MB" if megabytes and not rest else f"{limit} bytes"


def upload_too_large(limit: int, size: int) -> QboError:
    return validation(
        "Upload request size exceeds allowed limit",
        f"The file upload request should not exceed {_size(limit)} in size. "
        f"The current request size is {size}",
        "6030",
    )


def authentication(detail: str) -> QboError:
    return QboError(
        [
            ErrorItem(
                "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail, "3200"
            )
        ],
        AUTHENTICATION,
        401,
    )


def authorization(detail: str = "") -> QboError:
    return QboError(
        [
            ErrorItem(
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                detail,
                "3100",
            )
        ],
        AUTHORIZATION,
        403,
    )


def throttled() -> QboError:
    return QboError(
        [
            ErrorItem(
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.  Try again later",
                "3001",
            )
        ],
        THROTTLE,
        429,
    )


def system(status_code: int) -> QboError:
    reason = {503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status_code, "An application error has occurred while processing your request"
    )
    return QboError(
        [ErrorItem(reason, f"System Failure Error: {reason}", "10000")], SYSTEM, status_code
    )
