"""Which of a company's queued syncs one round of its writer takes."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from spendsync.syncs.runner import choose_round, keep_calls_full


def syncs(*ids: str) -> list[Any]:
    return [SimpleNamespace(id=sync_id) for sync_id in ids]


def test_the_runners_own_sync_comes_first_even_when_it_alone_is_over_capacity() -> None:
    pending = {"a": ["t1"], "b": ["t2", "t3"], "own": [f"o{n}" for n in range(10)]}
    assert choose_round("own", syncs("a", "b", "own"), pending, capacity=4) == ["own"]
    assert choose_round("own", syncs("a", "b", "own"), pending, capacity=13) == ["own", "a", "b"]


def test_a_round_stops_before_a_sync_that_writes_a_transaction_already_in_it() -> None:
    pending = {"a": ["t1"], "b": ["t2"], "c": ["t1"], "d": ["t4"]}
    assert choose_round("a", syncs("a", "b", "c", "d"), pending, capacity=100) == ["a", "b"]


@given(
    st.lists(st.lists(st.sampled_from([f"t{n}" for n in range(12)]), max_size=5), min_size=1),
    st.integers(min_value=1, max_value=20),
    st.data(),
)
def test_a_round_is_an_ordered_prefix_within_capacity_with_each_transaction_once(
    items: list[list[str]], capacity: int, data: st.DataObject
) -> None:
    candidates = syncs(*[f"s{n}" for n in range(len(items))])
    pending = {
        sync.id: list(dict.fromkeys(ids)) for sync, ids in zip(candidates, items, strict=True)
    }
    own = data.draw(st.sampled_from([sync.id for sync in candidates]))
    order = [own] + [sync.id for sync in candidates if sync.id != own]

    chosen = choose_round(own, candidates, pending, capacity)

    assert chosen == order[: len(chosen)]
    assert chosen[0] == own
    written = [t for sync_id in chosen for t in pending[sync_id]]
    assert len(written) == len(set(written))
    assert len(chosen) == 1 or len(written) <= capacity
    if len(chosen) < len(order):  # the next one could not have joined
        following = pending[order[len(chosen)]]
        assert len(written) + len(following) > capacity or set(written) & set(following)


def test_a_round_under_way_takes_only_what_fits_beside_it() -> None:
    pending = {"b": ["t2", "t3"], "c": ["t4"], "d": ["t5"]}
    # Two items already in a round of five: b and c fit, d would be the sixth.
    assert choose_round("a", syncs("b", "c", "d"), pending, 5, taken={"t1", "t9"}, items=2) == [
        "b",
        "c",
    ]
    # A round under way takes nothing rather than go over, even for its first arrival.
    assert choose_round("a", syncs("b"), pending, 3, taken={"t1", "t9"}, items=2) == []
    # Nor a sync changing a transaction the round is still writing.
    assert choose_round("a", syncs("d", "c"), {"d": ["t1"], "c": ["t4"]}, 9, taken={"t1"}) == []


@given(
    st.lists(st.lists(st.sampled_from([f"t{n}" for n in range(12)]), max_size=5), min_size=1),
    st.sets(st.sampled_from([f"t{n}" for n in range(12)]), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=20),
)
def test_what_a_round_under_way_takes_fits_and_writes_nothing_twice(
    items: list[list[str]], taken: set[str], capacity: int
) -> None:
    candidates = syncs(*[f"s{n}" for n in range(len(items))])
    pending = {
        sync.id: list(dict.fromkeys(ids)) for sync, ids in zip(candidates, items, strict=True)
    }
    chosen = choose_round("runner", candidates, pending, capacity, taken=taken, items=len(taken))

    assert chosen == [sync.id for sync in candidates][: len(chosen)]
    written = [t for sync_id in chosen for t in pending[sync_id]]
    assert len(written) == len(set(written))
    assert not set(written) & taken
    assert len(taken) + len(written) <= capacity or not chosen


class Platform:
    """A fake platform call for `keep_calls_full`: records each batch and how many were in
    flight together; calls block until `release` is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.release = threading.Event()
        self.guard = threading.Lock()

    def send(self, batch: list[str]) -> None:
        with self.guard:
            self.batches.append(batch)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            assert self.release.wait(10), "the test never released the platform"
        finally:
            with self.guard:
                self.in_flight -= 1


def test_a_burst_of_syncs_arriving_while_calls_are_in_flight_goes_out_in_full_batches() -> None:
    platform = Platform()
    script = [["b1", "b2"], ["c1", "c2"], ["d1", "d2"]]

    def arrivals() -> list[str]:
        if not script:
            return []
        arrived = script.pop(0)
        if not script:
            platform.release.set()  # the burst is over; the platform answers from now on
        return arrived

    keep_calls_full(["a1"], size=3, in_flight=2, arrivals=arrivals, send=platform.send)

    # The lone first item went at once; the burst that arrived while it was at the platform
    # went in full batches: three calls for seven items, not one per arriving sync.
    assert platform.batches == [["a1"], ["b1", "b2", "c1"], ["c2", "d1", "d2"]]
    assert platform.most_in_flight == 2


def test_a_part_batch_goes_beside_the_others_once_nothing_more_arrives() -> None:
    platform = Platform()

    def arrivals() -> list[str]:
        return []

    def send(batch: list[str]) -> None:
        if len(platform.batches) == 1:
            platform.release.set()  # the part batch reached the platform while the first waits
        platform.send(batch)

    keep_calls_full(["a", "b", "c", "d"], size=3, in_flight=2, arrivals=arrivals, send=send)

    assert platform.batches == [["a", "b", "c"], ["d"]]
    # The last item did not wait for the first batch to come back.
    assert platform.most_in_flight == 2


def test_with_one_call_in_flight_batches_go_one_after_another() -> None:
    platform = Platform()
    platform.release.set()
    keep_calls_full(
        [str(n) for n in range(7)], size=3, in_flight=1, arrivals=list, send=platform.send
    )
    assert [len(batch) for batch in platform.batches] == [3, 3, 1]
    assert platform.most_in_flight == 1
