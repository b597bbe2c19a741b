"""Log lines for people (`text`, the default) or for a log pipeline (`json`: one object per
line), each carrying the request's correlation id and, while a sync runs, its sync and company.

The fields come from context variables, so code logs as usual (`logger.info(...)`) and a filter
on the handler stamps every record, including those of libraries (uvicorn, SQLAlchemy, DBOS).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from spendsync.api.context import correlation_id_var
from spendsync.config import Settings

# Fields of the work in progress (e.g. sync_id, company_id) that every log line should carry.
_fields_var: ContextVar[dict[str, str]] = ContextVar("log_fields", default={})  # noqa: B039

CONTEXT_FIELDS = ("correlation_id", "sync_id", "company_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
# Loggers that install handlers of their own (and do not propagate) unless given ours.
_SELF_CONFIGURED = ("dbos",)


@contextmanager
def log_context(**fields: str) -> Iterator[dict[str, str]]:
    """Add fields to every log line written inside the block (in this thread or task). Yields
    the block's own fields, to which more may be added as they become known."""
    scoped = {**_fields_var.get(), **fields}
    token = _fields_var.set(scoped)
    try:
        yield scoped
    finally:
        _fields_var.reset(token)


class ContextFilter(logging.Filter):
    """Stamps each record with the correlation id (`missing` outside a request) and the current
    log context's fields."""

    def __init__(self, missing: str | None = None) -> None:
        super().__init__()
        self.missing = missing

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _fields_var.get()
        correlation_id = correlation_id_var.get() or fields.get("correlation_id")
        record.correlation_id = correlation_id or self.missing
        for name in CONTEXT_FIELDS[1:]:
            if name in fields:
                setattr(record, name, fields[name])
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(correlation_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
    )


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `text` or `json` lines to `stream` (standard error by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.addFilter(ContextFilter(missing=None))
        handler.setFormatter(json_formatter())
    else:
        handler.addFilter(ContextFilter(missing="-"))
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(settings: Settings) -> None:
    """Send every log record of the process through one handler of the configured format."""
    handler = make_handler(settings.log_format)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if settings.log_format == "json":
        for name in _SELF_CONFIGURED:
            own = logging.getLogger(name)
            own.handlers = [handler]
            own.propagate = False
