"""Fractional-index positions: any sequence of inserts and moves keeps a strict total order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hintro_shared.ordering import (
    InvalidPosition,
    jittered_key_between,
    key_between,
    validate_key,
)


def test_first_key_and_appends_sort_in_order() -> None:
    keys = [key_between(None, None)]
    for _ in range(500):
        keys.append(key_between(keys[-1], None))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_prepends_sort_in_order() -> None:
    keys = [key_between(None, None)]
    for _ in range(500):
        keys.insert(0, key_between(None, keys[0]))
    assert keys == sorted(keys)


def test_repeated_inserts_between_the_same_neighbours_stay_ordered() -> None:
    low, high = key_between(None, None), None
    high = key_between(low, None)
    for _ in range(200):
        middle = key_between(low, high)
        assert low < middle < high
        high = middle


def test_reversed_or_equal_bounds_are_refused() -> None:
    a = key_between(None, None)
    b = key_between(a, None)
    with pytest.raises(InvalidPosition):
        key_between(b, a)
    with pytest.raises(InvalidPosition):
        key_between(a, a)


@pytest.mark.parametrize("bad", ["", "a", "a00", "!x", "zz", "a0 "])
def test_invalid_keys_are_refused(bad: str) -> None:
    with pytest.raises(InvalidPosition):
        validate_key(bad)


def test_concurrent_moves_to_the_same_place_get_distinct_ordered_keys() -> None:
    rng = random.Random(7)
    a = key_between(None, None)
    b = key_between(a, None)
    keys = {jittered_key_between(a, b, rng) for _ in range(200)}
    assert len(keys) > 190  # three random digits: collisions are rare, and a unique index retries
    assert all(a < k < b for k in keys)
    assert all(validate_key(k) == k for k in keys)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), max_size=60))
def test_random_moves_keep_a_strict_total_order_and_touch_only_the_moved_item(
    moves: list[tuple[int, int]],
) -> None:
    rng = random.Random(1)
    items = [f"i{n}" for n in range(8)]
    positions: dict[str, str] = {}
    previous: str | None = None
    for item in items:
        previous = key_between(previous, None)
        positions[item] = previous
    for pick, target in moves:
        item = items[pick % len(items)]
        others = sorted((p, i) for i, p in positions.items() if i != item)
        slot = target % (len(others) + 1)
        before = others[slot - 1][0] if slot > 0 else None
        after = others[slot][0] if slot < len(others) else None
        untouched = {i: p for i, p in positions.items() if i != item}
        positions[item] = jittered_key_between(before, after, rng)
        assert {i: p for i, p in positions.items() if i != item} == untouched
        ordered = sorted(positions.values())
        assert len(set(ordered)) == len(ordered)
        expected_index = slot
        assert ordered.index(positions[item]) == expected_index
