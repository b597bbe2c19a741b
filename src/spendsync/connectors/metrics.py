"""Metrics of the calls connectors make to platforms: one helper every connector wraps around
each HTTP request, so latency, outcomes and 429s are measured the same way for every platform.

    response = observe_platform_call("gbol", http.request, "GET", "/Accounts", headers=...)

The `platform` label is the Codat platform key (as in `GET /integrations`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ParamSpec

import httpx
from prometheus_client import Counter, Histogram

P = ParamSpec("P")

PLATFORM_CALL_SECONDS = Histogram(
    "spendsync_platform_call_duration_seconds",
    "Time one HTTP call to an accounting platform took, by platform key.",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PLATFORM_CALLS = Counter(
    "spendsync_platform_calls",
    "HTTP calls to accounting platforms, by platform key and outcome (the status code's class "
    "2xx/3xx/4xx/5xx, or timeout, unreachable).",
    ["platform", "outcome"],
)
PLATFORM_RATE_LIMITED = Counter(
    "spendsync_platform_rate_limited",
    "Calls a platform refused with 429 Too Many Requests, by platform key.",
    ["platform"],
)


def observe_platform_call(
    platform: str, send: Callable[P, httpx.Response], *args: P.args, **kwargs: P.kwargs
) -> httpx.Response:
    """`send(*args, **kwargs)` (one HTTP request), its latency and outcome recorded; exceptions
    propagate unchanged."""
    started = time.perf_counter()
    try:
        response = send(*args, **kwargs)
    except httpx.TimeoutException:
        PLATFORM_CALLS.labels(platform, "timeout").inc()
        raise
    except httpx.TransportError:
        PLATFORM_CALLS.labels(platform, "unreachable").inc()
        raise
    finally:
        PLATFORM_CALL_SECONDS.labels(platform).observe(time.perf_counter() - started)
    PLATFORM_CALLS.labels(platform, f"{response.status_code // 100}xx").inc()
    if response.status_code == 429:
        PLATFORM_RATE_LIMITED.labels(platform).inc()
    return response
