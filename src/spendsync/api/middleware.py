"""ASGI middleware: correlation ids and the request body size limit."""

from __future__ import annotations

import contextlib
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spendsync.api.context import correlation_id_var
from spendsync.api.errors import error_response
from spendsync.errors import BadRequest, PayloadTooLarge

CORRELATION_HEADER = b"x-correlation-id"


class CorrelationIdMiddleware:
    """Give each request a correlation id (echoed in `X-Correlation-Id` and in every error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = str(uuid.uuid4())
        token = correlation_id_var.set(correlation_id)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != CORRELATION_HEADER]
                headers.append((CORRELATION_HEADER, correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            correlation_id_var.reset(token)


class NulInUrlMiddleware:
    """Refuse URLs carrying NUL (raw or %00): no id, query or key may contain it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = bytes(scope.get("raw_path") or b"") + b"?" + bytes(scope.get("query_string", b""))
            if b"\x00" in raw or b"%00" in raw or "\x00" in str(scope.get("path", "")):
                error = BadRequest("The URL may not contain NUL characters.")
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming. File uploads
    (paths ending in /attachments) have their own, larger limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = str(scope.get("path", "")).rstrip("/").endswith("/attachments")
        max_bytes = self.max_upload_bytes if upload else self.max_json_bytes
        too_large = PayloadTooLarge(f"Request body exceeds the limit of {max_bytes} bytes.")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > max_bytes:
                    await error_response(too_large)(scope, receive, send)
                    return
        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body overflowed, whatever the app answers (frameworks report the
            # interrupted read as a parse error) is replaced by the 413 below.
            if not exceeded:
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded:
            await error_response(too_large)(scope, receive, send)
