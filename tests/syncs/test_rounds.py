"""Which of a company's queued syncs one round of its writer takes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from spendsync.syncs.runner import choose_round


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
