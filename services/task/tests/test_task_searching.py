"""The rules of search and of the board filter (pure functions, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hintro_shared.refusals import RuleBroken
from hintro_task.searching import (
    COMMENT,
    DESCRIPTION,
    SNIPPET_MAX,
    TERMS_MAX,
    TITLE,
    Candidate,
    Filterable,
    Ranked,
    TaskFilter,
    after_cursor,
    highlights,
    matches,
    page_after,
    postings,
    query_terms,
    rank,
    search_cursor,
    snippet,
    term_score,
    words,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_words_fold_case_and_accents_and_split_on_anything_else() -> None:
    assert words("Café-Menü v2, ÉTÉ_été") == ["cafe", "menu", "v2", "ete", "ete"]
    assert words("  ") == []
    assert words("x" * 50) == ["x" * 32]


def test_query_terms_are_distinct_and_bounded() -> None:
    assert query_terms("Login login LOGIN form") == ("login", "form")
    assert len(query_terms(" ".join(f"w{n}" for n in range(20)))) == TERMS_MAX
    assert query_terms("!!! ???") == ()


def test_postings_record_every_place_a_word_occurs() -> None:
    found = postings({TITLE: "Fix login", DESCRIPTION: "the login form"})
    assert found == {"fix": TITLE, "login": TITLE | DESCRIPTION, "the": DESCRIPTION,
                     "form": DESCRIPTION}  # fmt: skip


def test_title_beats_description_and_a_whole_word_beats_a_prefix() -> None:
    assert term_score("login", "login", TITLE) == 5
    assert term_score("log", "login", TITLE) == 4
    assert term_score("login", "login", DESCRIPTION) == 3
    assert term_score("login", "login", COMMENT) == 3
    assert term_score("log", "login", COMMENT) == 2
    assert term_score("login", "log", TITLE) == 0


def _candidate(item_id: str, updated: str, **best: int) -> Candidate:
    return Candidate(item_id, updated, dict(best))


def test_rank_needs_every_term_then_orders_by_score_newest_and_id() -> None:
    terms = ("fix", "login")
    ranked = rank(
        [
            _candidate("a", "2026-01-01T00:00:00.000Z", fix=3, login=3),
            _candidate("b", "2026-01-02T00:00:00.000Z", fix=5, login=5),
            _candidate("c", "2026-01-03T00:00:00.000Z", fix=3, login=3),
            _candidate("d", "2026-01-03T00:00:00.000Z", fix=3, login=3),
            _candidate("e", "2026-01-04T00:00:00.000Z", fix=5),  # lacks "login"
        ],
        terms,
    )
    assert [hit.item_id for hit in ranked] == ["b", "c", "d", "a"]
    assert ranked[0].score == 10


def test_cursor_continues_after_the_last_hit_and_only_for_its_query() -> None:
    ranked = [Ranked(9, "2026-01-02T00:00:00.000Z", f"i{n}") for n in range(5)]
    first = page_after(ranked, None, 2)
    assert [hit.item_id for hit in first] == ["i0", "i1", "i2"]  # one extra: a page follows
    cursor = search_cursor(first[1], ("fix",), False)
    start = after_cursor(cursor, ("fix",), False)
    assert [hit.item_id for hit in page_after(ranked, start, 2)] == ["i2", "i3", "i4"]
    with pytest.raises(RuleBroken):
        after_cursor(cursor, ("other",), False)
    with pytest.raises(RuleBroken):
        after_cursor(cursor, ("fix",), True)
    with pytest.raises(RuleBroken):
        after_cursor("not-a-cursor", ("fix",), False)


def test_snippet_is_cut_around_the_first_match_with_its_marks() -> None:
    text = "word " * 60 + "the Login form breaks " + "tail " * 60
    cut, marks = snippet(text, ("login",))
    assert len(cut) <= SNIPPET_MAX + 2
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert [cut[a:b] for a, b in marks] == ["Login"]


def test_short_text_is_its_own_snippet_and_marks_use_original_spans() -> None:
    text = "Réunion: réviser le café"
    cut, marks = snippet(text, ("reu", "cafe"))
    assert cut == text
    assert [text[a:b] for a, b in marks] == ["Réunion", "café"]
    assert highlights("Nothing here", ("zzz",)) == []


def _task(**overrides: object) -> Filterable:
    values: dict[str, object] = {
        "title": "Fix login",
        "description": "The form breaks",
        "label_ids": ("bug",),
        "assignee_ids": ("u1",),
        "due_date": None,
        "due_complete": False,
        "archived": False,
    }
    values.update(overrides)
    return Filterable(**values)  # type: ignore[arg-type]


def test_filter_text_needs_every_word_in_title_or_description() -> None:
    assert matches(_task(), TaskFilter(terms=("log", "form")), "me", NOW)
    assert not matches(_task(), TaskFilter(terms=("log", "zebra")), "me", NOW)
    assert matches(_task(), TaskFilter(), "me", NOW)


def test_filter_labels_and_assignees_match_any_of_their_values() -> None:
    assert matches(_task(), TaskFilter(label_ids=frozenset({"bug", "x"})), "me", NOW)
    assert not matches(_task(), TaskFilter(label_ids=frozenset({"x"})), "me", NOW)
    assert matches(_task(), TaskFilter(assignees=frozenset({"me"})), "u1", NOW)
    assert not matches(_task(), TaskFilter(assignees=frozenset({"me"})), "u2", NOW)
    assert matches(_task(assignee_ids=()), TaskFilter(assignees=frozenset({"none"})), "u", NOW)
    assert matches(_task(), TaskFilter(assignees=frozenset({"none", "u1"})), "u", NOW)
    assert not matches(_task(), TaskFilter(assignees=frozenset({"none"})), "u", NOW)


def test_filter_due_choices() -> None:
    overdue = _task(due_date=NOW - timedelta(hours=1))
    soon = _task(due_date=NOW + timedelta(days=6))
    later = _task(due_date=NOW + timedelta(days=8))
    done = _task(due_date=NOW - timedelta(days=1), due_complete=True)
    undated = _task()

    def which(choice: str) -> list[bool]:
        flt = TaskFilter(due=frozenset({choice}))
        return [matches(t, flt, "u", NOW) for t in (overdue, soon, later, done, undated)]

    assert which("overdue") == [True, False, False, False, False]
    assert which("week") == [False, True, False, False, False]
    assert which("none") == [False, False, False, False, True]
    assert which("done") == [False, False, False, True, False]


def test_facets_combine_and_archived_selects_the_other_set() -> None:
    flt = TaskFilter(terms=("fix",), label_ids=frozenset({"bug"}), assignees=frozenset({"me"}))
    assert matches(_task(), flt, "u1", NOW)
    assert not matches(_task(label_ids=()), flt, "u1", NOW)
    assert not matches(_task(archived=True), TaskFilter(), "u1", NOW)
    assert matches(_task(archived=True), TaskFilter(archived=True), "u1", NOW)
