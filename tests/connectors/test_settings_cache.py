"""The ledger settings a connector reads only to translate writes: read once per setting while
fresh, and once — not once per batch — when a round's batches all start on a cold cache."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from spendsync.connectors.settings_cache import ledger_setting


def _books() -> str:
    return f"connection-{uuid.uuid4().hex}/tenant"


class Loads:
    """A load that counts its calls and can be held open until released."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self._guard = threading.Lock()

    def __call__(self) -> object:
        with self._guard:
            self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        return self.value


def test_batches_starting_together_on_a_cold_cache_read_the_setting_once() -> None:
    books = _books()
    load = Loads({"1": "Bank", "2": "Expense"})
    load.release.clear()
    with ThreadPoolExecutor(10) as pool:
        results = [pool.submit(ledger_setting, books, "accounts", load, 60.0) for _ in range(10)]
        assert load.started.wait(5)
        load.release.set()
        values = [r.result(timeout=10) for r in results]
    assert load.calls == 1
    assert all(value == {"1": "Bank", "2": "Expense"} for value in values)
    # Fresh: later lookups read nothing.
    assert ledger_setting(books, "accounts", load, 60.0) == {"1": "Bank", "2": "Expense"}
    assert load.calls == 1


def test_a_failed_read_is_not_kept_and_the_next_caller_reads_again() -> None:
    books = _books()

    def failing() -> object:
        raise RuntimeError("platform down")

    with pytest.raises(RuntimeError, match="platform down"):
        ledger_setting(books, "company", failing, 60.0)
    load = Loads({"currency": "GBP"})
    assert ledger_setting(books, "company", load, 60.0) == {"currency": "GBP"}
    assert load.calls == 1


def test_callers_waiting_on_a_read_that_fails_read_it_themselves() -> None:
    books = _books()
    started, release = threading.Event(), threading.Event()

    def failing() -> object:
        started.set()
        assert release.wait(10)
        raise RuntimeError("platform down")

    load = Loads({"currency": "GBP"})
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(ledger_setting, books, "company", failing, 60.0)
        assert started.wait(5)
        second = pool.submit(ledger_setting, books, "company", load, 60.0)
        release.set()
        with pytest.raises(RuntimeError):
            first.result(timeout=10)
        assert second.result(timeout=10) == {"currency": "GBP"}
    assert load.calls == 1


def test_a_lookup_naming_what_the_cached_copy_lacks_reads_afresh() -> None:
    books = _books()
    before = Loads({"1": "Bank"})
    assert ledger_setting(books, "accounts", before, 60.0, needed=["1"]) == {"1": "Bank"}
    after = Loads({"1": "Bank", "7": "New expense account"})
    # Account 7 was added to the ledger since: read again, not silently left out.
    found = ledger_setting(books, "accounts", after, 60.0, needed=["7"])
    assert found == {"1": "Bank", "7": "New expense account"}
    assert (before.calls, after.calls) == (1, 1)


def test_one_books_slow_read_does_not_hold_up_another_books() -> None:
    slow, quick = Loads("slow"), Loads("quick")
    slow.release.clear()
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(ledger_setting, _books(), "company", slow, 60.0)
        assert slow.started.wait(5)
        assert ledger_setting(_books(), "company", quick, 60.0) == "quick"
        slow.release.set()
        assert held.result(timeout=10) == "slow"


def test_with_the_cache_off_every_lookup_reads() -> None:
    books = _books()
    load = Loads("value")
    for _ in range(3):
        assert ledger_setting(books, "company", load, 0.0) == "value"
    assert load.calls == 3
