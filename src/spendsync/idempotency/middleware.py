"""Idempotency-Key on POST/PUT/PATCH, as Codat documents it:

same key + same request → the stored response is replayed (`Idempotent-Replayed: true`);
same key + different request → 422; same key while the first is still running → 409.
Responses of 5xx are not stored, so a retry after a server failure runs again.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spendsync.api.errors import error_response
from spendsync.clients.service import authenticate
from spendsync.errors import BadRequest, Conflict, Unauthorized, Unprocessable
from spendsync.idempotency import store

HEADER = b"idempotency-key"
METHODS = {"POST", "PUT", "PATCH"}
MAX_KEY_LENGTH = 255


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """What makes two requests 'the same request' for one Idempotency-Key."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query_string, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class IdempotencyMiddleware:
    def __init__(
        self, app: ASGIApp, *, session_factory: sessionmaker[Session], ttl_seconds: int
    ) -> None:
        self.app = app
        self.session_factory = session_factory
        self.ttl = timedelta(seconds=ttl_seconds)

    def _client_id(self, authorization: str | None) -> str | None:
        with self.session_factory() as session:
            try:
                return authenticate(session, authorization)
            except Unauthorized:
                return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            error = BadRequest(
                f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters."
            )
            await error_response(error)(scope, receive, send)
            return
        client_id = await to_thread.run_sync(self._client_id, _header(scope, b"authorization"))
        if client_id is None:  # the route answers 401
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        fingerprint = request_fingerprint(
            scope["method"], scope["path"], bytes(scope.get("query_string", b"")), body
        )

        reservation = await to_thread.run_sync(
            lambda: store.reserve(
                self.session_factory,
                client_id=client_id,
                key=key,
                fingerprint=fingerprint,
                ttl=self.ttl,
            )
        )
        if reservation.outcome is store.Outcome.MISMATCH:
            mismatch = Unprocessable(
                "This Idempotency-Key was already used with a different request. "
                "Use a new key for a new request."
            )
            await error_response(mismatch)(scope, receive, send)
            return
        if reservation.outcome is store.Outcome.IN_FLIGHT:
            await error_response(
                Conflict("A request with this Idempotency-Key is still being processed.")
            )(scope, receive, send)
            return
        if reservation.outcome is store.Outcome.REPLAY:
            headers = [(b"idempotent-replayed", b"true")]
            if reservation.content_type:
                headers.append((b"content-type", reservation.content_type.encode("latin-1")))
            await send(
                {
                    "type": "http.response.start",
                    "status": reservation.status_code,
                    "headers": headers,
                }
            )
            await send({"type": "http.response.body", "body": reservation.body or b""})
            return

        record_id = reservation.record_id
        assert record_id is not None
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status_code = 500
        content_type: str | None = None
        response_chunks: list[bytes] = []

        async def capture_send(message: Message) -> None:
            nonlocal status_code, content_type
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
                for name, value in message.get("headers", []):
                    if bytes(name).lower() == b"content-type":
                        content_type = bytes(value).decode("latin-1")
            elif message["type"] == "http.response.body":
                response_chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await to_thread.run_sync(store.release, self.session_factory, record_id)
            raise
        if status_code >= 500:
            await to_thread.run_sync(store.release, self.session_factory, record_id)
            return
        response_body = b"".join(response_chunks)
        await to_thread.run_sync(
            lambda: store.complete(
                self.session_factory,
                record_id,
                status_code=status_code,
                content_type=content_type,
                body=response_body,
            )
        )
