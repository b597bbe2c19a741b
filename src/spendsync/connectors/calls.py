"""One HTTP call to an OAuth 2.0 platform API, done the same way by every REST connector.

Around each request: an access token that is fresh (refreshed under the connection's lock when
it is about to expire, or once when the platform answers 401), the tenant's throttle slot
(`connectors.throttle`), latency and outcome metrics (`connectors.metrics`), timeouts and
unreachable hosts as `Transient`, and short waits retried inline (tenacity, honouring
`Retry-After` up to `MAX_INLINE_WAIT_SECONDS`; a longer wait propagates to the job engine,
which retries the step later). What a response *means* stays with each connector: its
`classify` function turns an answer into a result or a `ConnectorError`.

    calls = PlatformCalls("gbol", "Xero", http, throttle, credentials, refresh, "tenant_id")
    data = calls.call("GET", lambda tenant: ("/Accounts", {"xero-tenant-id": tenant}), classify)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from cachetools import LRUCache
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from spendsync.connectors.credentials import CredentialStore
from spendsync.connectors.errors import AuthFailure, Transient
from spendsync.connectors.metrics import observe_platform_call
from spendsync.connectors.throttle import Throttle

T = TypeVar("T")

REFRESH_MARGIN_SECONDS = 120
INLINE_ATTEMPTS = 4
MAX_INLINE_WAIT_SECONDS = 10.0

# The tenant's path and headers for one request: tenant id → (path, extra headers).
Route = Callable[[str], tuple[str, dict[str, str]]]

_clients: LRUCache[tuple[str, float], httpx.Client] = LRUCache(maxsize=32)
_clients_guard = threading.Lock()


def platform_client(base_url: str, timeout: float) -> httpx.Client:
    """The process's HTTP client for a platform API: one per address and timeout, shared by
    every ledger opened on it (httpx clients are safe to share between threads). Opening a
    ledger then costs no new client — creating one builds a TLS context, about 20 ms of CPU —
    and its kept-alive connections carry on from one round of pushes to the next, without a
    new TCP and TLS handshake to the platform each time. Ledgers do not close it."""
    key = (base_url, timeout)
    with _clients_guard:
        client = _clients.get(key)
        if client is None or client.is_closed:
            # One dropped from the cache is left to the garbage collector, not closed: a ledger
            # may still be using it.
            client = _clients[key] = httpx.Client(base_url=base_url, timeout=timeout)
        return client


def close_platform_clients() -> None:
    """Close the process's platform clients and their kept-alive connections; the next ledger
    opened gets a new client. Only where no call can be in flight (a test's end): a worker
    stopping leaves them to the process's exit, since its last batches may still be sending."""
    with _clients_guard:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def _expiring(credentials: dict[str, Any]) -> bool:
    return bool(credentials["expires_at"] - time.time() < REFRESH_MARGIN_SECONDS)


def worth_waiting_for(exc: BaseException) -> bool:
    """A transient failure whose wait is short enough to take here."""
    return isinstance(exc, Transient) and (exc.retry_after or 0) <= MAX_INLINE_WAIT_SECONDS


def inline_wait(state: RetryCallState) -> float:
    """The platform's Retry-After when it gave one, else 0.5 s doubling up to 4 s."""
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, Transient) and exc.retry_after is not None:
        return exc.retry_after
    return float(min(0.5 * 2 ** (state.attempt_number - 1), 4.0))


class PlatformCalls:
    """Authorised, throttled, measured calls for one linked connection."""

    def __init__(
        self,
        platform_key: str,
        platform_name: str,
        http: httpx.Client,
        throttle: Throttle,
        credentials: CredentialStore,
        refresh: Callable[[str], dict[str, Any]],
        tenant_field: str,
    ) -> None:
        self._key = platform_key
        self._name = platform_name
        self._http = http
        self._throttle = throttle
        self._credentials = credentials
        self._refresh = refresh  # refresh token → new token fields
        self._tenant_field = tenant_field  # where the credentials keep the tenant id
        self._held: dict[str, Any] | None = None

    def access(self, *, force_refresh: bool = False) -> tuple[str, str]:
        """A usable access token and the tenant id. The credentials are read once and held
        while the token stays fresh (the batches of a round share them); refresh tokens
        rotate, so a refresh happens under the connection's lock, and not at all when another
        worker just did it. `force_refresh` (the platform answered 401 to the token we hold)
        takes another worker's newer token if there is one, else refreshes."""
        held = self._held
        if held is not None and not force_refresh and not _expiring(held):
            return held["access_token"], held[self._tenant_field]
        credentials = self._credentials.load()
        if force_refresh or _expiring(credentials):
            seen = (held or credentials)["access_token"] if force_refresh else None
            seen = seen or credentials["access_token"]

            def refreshed(current: dict[str, Any]) -> dict[str, Any] | None:
                if current.get("access_token") != seen and not _expiring(current):
                    return None  # another worker refreshed it meanwhile
                if not current.get("refresh_token"):
                    raise AuthFailure("The connection holds no refresh token; link it again.")
                return {**current, **self._refresh(current["refresh_token"])}

            credentials = self._credentials.update(refreshed)
        self._held = credentials
        return credentials["access_token"], credentials[self._tenant_field]

    def call(
        self,
        method: str,
        route: Route,
        classify: Callable[[httpx.Response], T],
        **request: Any,
    ) -> T:
        """One call, retried inline while the waits are short; `request` goes to httpx."""
        retrying = Retrying(
            retry=retry_if_exception(worth_waiting_for),
            wait=inline_wait,
            stop=stop_after_attempt(INLINE_ATTEMPTS),
            reraise=True,
        )
        result: T = retrying(self._call_once, method, route, classify, request)
        return result

    def _call_once(
        self,
        method: str,
        route: Route,
        classify: Callable[[httpx.Response], T],
        request: dict[str, Any],
    ) -> T:
        for attempt in range(2):
            token, tenant = self.access(force_refresh=attempt > 0)
            path, headers = route(tenant)
            # Built (body encoded) before the slot is taken: the platform counts arrivals, so
            # the call should leave as soon as it is admitted.
            prepared = self._http.build_request(
                method,
                path,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                    **headers,
                },
                **request,
            )
            try:
                with self._throttle.slot(tenant):
                    response = observe_platform_call(self._key, self._http.send, prepared)
            except httpx.TimeoutException as exc:
                raise Transient(f"{self._name} did not answer in time: {exc}") from exc
            except httpx.TransportError as exc:
                raise Transient(f"{self._name} could not be reached: {exc}") from exc
            if response.status_code == 401 and attempt == 0:
                continue  # the token may have been revoked early: refresh once, then judge
            return classify(response)
        raise AssertionError("unreachable")
