"""What search and the board filter mean, free of I/O: how text becomes words, which items a
query matches, how hits rank, the search cursor, snippets, and the board filter's predicate.

Words: the text is decomposed (NFKD), combining marks dropped and lower-cased, then split into
runs of letters and digits ("Café-Menü v2" → ``cafe``, ``menu``, ``v2``); a word is cut at
:data:`WORD_MAX` characters. The web app's filter (``web/src/lib/taskFilter.ts``) splits the
same way, so a board filtered in the browser and through the API shows the same cards.

A query matches an item when **every** query word is the start of some word of the item (``log``
finds "Login"; all words, any order, any of the item's fields). Ranking (see :func:`score`):
each query word scores by the best place it is found in the item, 4 in a task's title, 2 in
a description or a comment, plus 1 when it is a whole word rather than the start of one; higher
totals first, then the most recently updated, then by id (a stable order for the cursor).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hintro_shared.pagination import decode_cursor, encode_cursor, invalid_cursor

WORD_MAX = 32
QUERY_MAX = 200
TERMS_MAX = 8
SNIPPET_MAX = 160
SEARCH_DEFAULT_LIMIT = 20
SEARCH_MAX_LIMIT = 50

# Where a word was found (bit flags: one posting per word and item carries them all).
TITLE = 4
DESCRIPTION = 2
COMMENT = 1

TASK = "task"
COMMENT_KIND = "comment"


def normalize(text: str) -> str:
    """``text`` decomposed, without combining marks, lower-cased (the form words are compared
    in; lower() rather than casefold() so the browser's toLowerCase() agrees)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass(frozen=True)
class Word:
    """A word of a text: its normalized form and where it stands in the original."""

    norm: str
    start: int
    end: int


def _runs(text: str) -> Iterator[tuple[int, int]]:
    start = -1
    for index, ch in enumerate(text):
        if ch.isalnum():
            if start < 0:
                start = index
        elif start >= 0:
            yield start, index
            start = -1
    if start >= 0:
        yield start, len(text)


def words_of(text: str) -> list[Word]:
    """The words of ``text`` in order, with their spans in ``text`` (each run of letters and
    digits of the original normalized on its own, so spans stay those of the original)."""
    found: list[Word] = []
    for start, end in _runs(text):
        for part in _split_normalized(normalize(text[start:end])):
            found.append(Word(part[:WORD_MAX], start, end))
    return found


def _split_normalized(norm: str) -> list[str]:
    # Decomposition can produce separators inside a run (e.g. "½" → "1⁄2"): split again.
    return [norm[start:end] for start, end in _runs(norm)]


def words(text: str) -> list[str]:
    """The normalized words of ``text`` in order."""
    return [word.norm for word in words_of(text)]


def query_terms(q: str) -> tuple[str, ...]:
    """The distinct words of a query, at most :data:`TERMS_MAX` (the rest are ignored)."""
    return tuple(dict.fromkeys(words(q)))[:TERMS_MAX]


def postings(fields: Mapping[int, str]) -> dict[str, int]:
    """Each distinct word of an item with the places (``TITLE | DESCRIPTION | COMMENT`` bits)
    it occurs in; ``fields`` maps a place to its text."""
    found: dict[str, int] = {}
    for place, text in fields.items():
        for word in words(text):
            found[word] = found.get(word, 0) | place
    return found


def _place_score(places: int) -> int:
    if places & TITLE:
        return 4
    return 2 if places & (DESCRIPTION | COMMENT) else 0


def term_score(term: str, word: str, places: int) -> int:
    """What one posting scores for one query word (0: no match)."""
    if not word.startswith(term):
        return 0
    return _place_score(places) + (1 if word == term else 0)


# --- ranked keys: the order of a single word's matches, stored so a query reads a prefix ---

BUCKET = 4
"""Characters of a word that key its prefix stream (a query word of at least this many letters
reads only the words sharing its first :data:`BUCKET` letters, in rank order)."""
_TITLE_PLACE, _TEXT_PLACE = "0", "1"
_INVERT_DIGITS = str.maketrans("0123456789", "9876543210")


def newest_first(updated_at: str) -> str:
    """A fixed-width RFC 3339 time whose ascending order is newest first (digits inverted)."""
    return updated_at.translate(_INVERT_DIGITS)


def _place(places: int) -> str:
    return _TITLE_PLACE if places & TITLE else _TEXT_PLACE


def ranked_key(head: str, places: int, updated_at: str, item_id: str) -> str:
    """``head`` (a word, or its first :data:`BUCKET` letters), then title before text, newest
    first, then the id: ascending order is rank order among one word's matches. A space ends
    the head, so ``"log "`` never starts the key of ``login``."""
    return f"{head} {_place(places)} {newest_first(updated_at)} {item_id}"


def posting_keys(word: str, places: int, updated_at: str, item_id: str) -> dict[str, str]:
    """The two ranked keys a posting carries: ``r`` by the whole word (a query word equal to
    it), ``x`` by its first :data:`BUCKET` letters (a query word it starts with)."""
    return {
        "r": ranked_key(word, places, updated_at, item_id),
        "x": ranked_key(word[:BUCKET], places, updated_at, item_id),
    }


@dataclass(frozen=True)
class Tier:
    """One slice of a query word's matches, in rank order: whole word or prefix, in a title
    or in a text. Its score is what :func:`term_score` gives every match in it."""

    score: int
    exact: bool
    title: bool

    def stem(self, term: str) -> str:
        """The head of this tier's keys for ``term``: the word, or its first letters."""
        return term if self.exact else term[:BUCKET]

    def head(self, term: str) -> str:
        """The key prefix every posting of this tier (for ``term``) starts with."""
        return f"{self.stem(term)} {_TITLE_PLACE if self.title else _TEXT_PLACE} "

    def after(self, term: str, last: Ranked) -> str:
        """The key of ``last`` in this tier (reading resumes after it)."""
        place = TITLE if self.title else DESCRIPTION
        return ranked_key(self.stem(term), place, last.updated_at, last.item_id)


TIERS = (
    Tier(5, exact=True, title=True),
    Tier(4, exact=False, title=True),
    Tier(3, exact=True, title=False),
    Tier(2, exact=False, title=False),
)
"""A word's tiers, best first; an item's score for the word is that of the first tier it is in."""


def item_score(fields: Mapping[int, str], terms: Iterable[str]) -> int | None:
    """An item's total for ``terms`` computed from its texts (``None`` unless every term
    matches): the same figure the postings give, for an item read whole."""
    found = postings(fields)
    total = 0
    for term in terms:
        best = max((term_score(term, word, places) for word, places in found.items()), default=0)
        if best == 0:
            return None
        total += best
    return total


@dataclass
class Candidate:
    """An item some query word matched, with its best score per matched word."""

    item_id: str
    updated_at: str
    best: dict[str, int] = field(default_factory=dict)

    def take(self, term: str, points: int) -> None:
        """Keep the best score seen for ``term``."""
        if points > self.best.get(term, 0):
            self.best[term] = points


def score(candidate: Candidate, terms: Iterable[str]) -> int | None:
    """The candidate's total, or ``None`` unless every term matched."""
    total = 0
    for term in terms:
        points = candidate.best.get(term, 0)
        if points == 0:
            return None
        total += points
    return total


@dataclass(frozen=True)
class Ranked:
    """A matching item in rank order: score descending, then newest, then id."""

    score: int
    updated_at: str
    item_id: str

    def key(self) -> tuple[int, str, str]:
        """Sort key; ``updatedAt`` is a fixed-width RFC 3339 string, so inverting its
        characters orders it newest first."""
        return (-self.score, _descending(self.updated_at), self.item_id)


def _descending(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


def rank(candidates: Iterable[Candidate], terms: tuple[str, ...]) -> list[Ranked]:
    """The candidates every term matched, in rank order."""
    ranked = []
    for candidate in candidates:
        total = score(candidate, terms)
        if total is not None:
            ranked.append(Ranked(total, candidate.updated_at, candidate.item_id))
    ranked.sort(key=Ranked.key)
    return ranked


def _fingerprint(terms: tuple[str, ...], archived: bool) -> str:
    material = "\x1f".join((*terms, "a" if archived else ""))
    return hashlib.sha256(material.encode()).hexdigest()[:12]


def search_cursor(last: Ranked, terms: tuple[str, ...], archived: bool) -> str:
    """The cursor after ``last``; it is only valid for the same query."""
    return encode_cursor(
        {
            "s": last.score,
            "u": last.updated_at,
            "i": last.item_id,
            "q": _fingerprint(terms, archived),
        }
    )


def after_cursor(cursor: str, terms: tuple[str, ...], archived: bool) -> Ranked:
    """The position a cursor stands at; 422 if it is not one of ours or of another query."""
    value = decode_cursor(cursor)
    s, u, i, q = value.get("s"), value.get("u"), value.get("i"), value.get("q")
    if not (isinstance(s, int) and isinstance(u, str) and isinstance(i, str)):
        raise invalid_cursor()
    if q != _fingerprint(terms, archived):
        raise invalid_cursor()
    return Ranked(s, u, i)


def page_after(ranked: list[Ranked], start: Ranked | None, limit: int) -> list[Ranked]:
    """Up to ``limit + 1`` hits after ``start`` (one more tells whether a page follows)."""
    if start is not None:
        key = start.key()
        ranked = [hit for hit in ranked if hit.key() > key]
    return ranked[: limit + 1]


def highlights(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans of ``text``'s words that a term starts."""
    return [
        (word.start, word.end)
        for word in words_of(text)
        if any(word.norm.startswith(term) for term in terms)
    ]


def snippet(text: str, terms: tuple[str, ...]) -> tuple[str, list[tuple[int, int]]]:
    """At most :data:`SNIPPET_MAX` characters of ``text`` around its first matching word (its
    opening when none matches), "…" where cut, and the matching words' spans in it."""
    spans = highlights(text, terms)
    if len(text) <= SNIPPET_MAX:
        return text, spans
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_MAX // 3)
    end = min(len(text), start + SNIPPET_MAX)
    start = max(0, end - SNIPPET_MAX)
    # Cut at a space near each end rather than inside a word.
    if start > 0:
        space = text.find(" ", start, min(first, start + 20) if spans else start + 20)
        if space >= 0:
            start = space + 1
    if end < len(text):
        space = text.rfind(" ", max(start, end - 20), end)
        if space > start:
            end = space
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + text[start:end] + suffix, inside


# --- the board filter -----------------------------------------------------------------------

ME = "me"
NOBODY = "none"
DUE_OVERDUE, DUE_WEEK, DUE_NONE, DUE_DONE = "overdue", "week", "none", "done"
DUE_CHOICES = (DUE_OVERDUE, DUE_WEEK, DUE_NONE, DUE_DONE)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TaskFilter:
    """A board filter; every facet given must hold (AND), the values within one facet are
    alternatives (OR). ``archived`` selects archived tasks instead of the live ones."""

    terms: tuple[str, ...] = ()
    label_ids: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    due: frozenset[str] = frozenset()
    archived: bool = False

    @property
    def narrows(self) -> bool:
        """Whether any facet is set (``archived`` alone selects rather than narrows)."""
        return bool(self.terms or self.label_ids or self.assignees or self.due)


@dataclass(frozen=True)
class Filterable:
    """What the filter reads of a task."""

    title: str
    description: str
    label_ids: tuple[str, ...]
    assignee_ids: tuple[str, ...]
    due_date: datetime | None
    due_complete: bool
    archived: bool


def matches(task: Filterable, flt: TaskFilter, caller_id: str, now: datetime) -> bool:
    """Whether ``task`` passes ``flt`` for ``caller_id`` at ``now``."""
    if task.archived != flt.archived:
        return False
    if flt.terms:
        found = words(task.title) + words(task.description)
        if not all(any(word.startswith(term) for word in found) for term in flt.terms):
            return False
    if flt.label_ids and not flt.label_ids.intersection(task.label_ids):
        return False
    if flt.assignees and not _assignee_matches(task, flt.assignees, caller_id):
        return False
    return not flt.due or any(_due_matches(task, choice, now) for choice in flt.due)


def _assignee_matches(task: Filterable, wanted: frozenset[str], caller_id: str) -> bool:
    for value in wanted:
        if value == NOBODY and not task.assignee_ids:
            return True
        if (caller_id if value == ME else value) in task.assignee_ids:
            return True
    return False


def _due_matches(task: Filterable, choice: str, now: datetime) -> bool:
    due = task.due_date
    if choice == DUE_NONE:
        return due is None
    if choice == DUE_DONE:
        return due is not None and task.due_complete
    if due is None or task.due_complete:
        return False
    if choice == DUE_OVERDUE:
        return due < now
    return now <= due <= now + WEEK


def split_values(raw: str | None) -> list[str]:
    """A comma-separated query value as its non-empty parts."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def as_filterable(doc: Mapping[str, Any]) -> Filterable:
    """A task's wire JSON (``task_json``) as the filter reads it."""
    due = doc.get("dueDate")
    return Filterable(
        title=doc.get("title", ""),
        description=doc.get("description", ""),
        label_ids=tuple(doc.get("labelIds") or ()),
        assignee_ids=tuple(doc.get("assigneeIds") or ()),
        due_date=due if isinstance(due, datetime) or due is None else None,
        due_complete=bool(doc.get("dueComplete", False)),
        archived=bool(doc.get("archived", False)),
    )
