"""What a connector reads from a ledger only to translate writes — the organisation's base
currency and preferences, its tracking options, its accounts' codes and types — kept per
connection in this process for `SPENDSYNC_LEDGER_SETTINGS_CACHE_SECONDS`, so that the batches of
a sync do not each read it again (before, two of every three Xero calls of a sync were such
reads: bench/README.md).

A lookup that names something the cached copy lacks reads afresh once, so an account or a
tracking option added to the ledger since is found, never silently left out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from cachetools import TLRUCache

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    value: Any
    ttl: float


def _expires(_key: tuple[str, str], entry: _Entry, now: float) -> float:
    return now + entry.ttl


_entries: TLRUCache[tuple[str, str], _Entry] = TLRUCache(maxsize=10_000, ttu=_expires)
_lock = threading.Lock()


def ledger_setting(
    books: str,
    name: str,
    load: Callable[[], T],
    ttl: float,
    *,
    needed: Iterable[str] = (),
) -> T:
    """`name` of the `books` (a connection and the tenant it is linked to): the cached copy
    while it is younger than `ttl` seconds and holds every key in `needed` (for a
    collection), else `load()` afresh."""
    wanted = tuple(needed)
    with _lock:
        entry = _entries.get((books, name))
    if entry is not None:
        held = cast(Collection[str], entry.value) if wanted else ()
        if all(key in held for key in wanted):
            return cast(T, entry.value)
    value = load()
    if ttl > 0:
        with _lock:
            _entries[(books, name)] = _Entry(value, ttl)
    return value
