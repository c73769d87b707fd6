"""Whether a page read by place holds every entry it must (pure logic)."""

from __future__ import annotations

from hintro_activity.repository import entry_place, page_complete


def test_a_full_run_from_the_top_is_complete() -> None:
    assert page_complete([10, 9, 8], range(10, 0, -1), 3)
    assert page_complete([3, 2, 1], range(3, 0, -1), 10)
    assert page_complete([4, 5, 6], range(4, 11), 3)
    assert page_complete([4, 5, 6, 7], range(4, 8), 10)


def test_a_missing_entry_inside_or_at_the_top_is_not() -> None:
    assert not page_complete([10, 8, 7], range(10, 0, -1), 3)
    assert not page_complete([9, 8, 7], range(10, 0, -1), 3)
    assert not page_complete([4, 6], range(4, 8), 10)
    # A short page that stops before the recorded ones run out.
    assert not page_complete([3, 2], range(3, 0, -1), 10)
    assert not page_complete([], range(1, 3), 10)


def test_entries_beyond_the_head_are_not_checked() -> None:
    # The head is 8 (9 is still being recorded); 10 exists already.
    assert page_complete([10, 8, 7], range(8, 0, -1), 3)
    assert page_complete([7, 8, 10], range(7, 9), 5)


def test_nothing_recorded_is_complete_when_nothing_is_read() -> None:
    assert page_complete([], range(0, 0, -1), 10)
    assert page_complete([], range(11, 11), 10)
    assert page_complete([12], range(11, 11), 10)


def test_a_place_sorts_as_its_seq_and_clamps_a_huge_one() -> None:
    places = [entry_place("b", seq) for seq in (1, 2, 10, 100, 999)]
    assert places == sorted(places)
    assert entry_place("b", 10**20) == "b:999999999999"
    assert entry_place("b", -5) == "b:000000000000"
