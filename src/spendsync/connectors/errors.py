"""The only errors a connector raises; the engine decides what each one means for a sync."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure; the message is fit to show to the user."""


class Transient(ConnectorError):
    """Try again later (rate limited, platform unavailable)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailure(ConnectorError):
    """The platform refused our credentials; the connection needs to be linked again."""


class RecordValidation(ConnectorError):
    """The platform rejected one record; its message says why."""


class NotSupported(ConnectorError):
    """The platform (or this server's connector for it) cannot do what was asked."""
