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
_loaded = threading.Condition(_lock)
_loading: set[tuple[str, str]] = set()
_MISSING = object()


def _cached(key: tuple[str, str], wanted: tuple[str, ...]) -> Any:
    """The cached value if it is fresh and holds `wanted`, else `_MISSING`; `_lock` held."""
    entry = _entries.get(key)
    if entry is None:
        return _MISSING
    held = cast(Collection[str], entry.value) if wanted else ()
    return entry.value if all(name in held for name in wanted) else _MISSING


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
    collection), else `load()` afresh.

    One load at a time per setting: the batches of a round start together, and without this
    each would read the same settings (four batches on a cold cache made twelve QBO reads in a
    second, against a limit of ten calls a second). The others wait for that load and use it;
    if it fails, the next of them loads."""
    key = (books, name)
    wanted = tuple(needed)
    with _loaded:
        while (found := _cached(key, wanted)) is _MISSING and key in _loading:
            _loaded.wait()
        if found is not _MISSING:
            return cast(T, found)
        _loading.add(key)
    try:
        value = load()
    except BaseException:
        with _loaded:
            _loading.discard(key)
            _loaded.notify_all()
        raise
    with _loaded:
        _loading.discard(key)
        if ttl > 0:
            _entries[key] = _Entry(value, ttl)
        _loaded.notify_all()
    return value


def remember_setting(books: str, name: str, value: Any, ttl: float) -> None:
    """Keep `value` as `name` of the `books`, read by other means: the reference-data read of
    the chart of accounts gives the accounts the first write would otherwise read again."""
    if ttl > 0:
        with _loaded:
            _entries[(books, name)] = _Entry(value, ttl)
            _loaded.notify_all()
