"""The activity log's rules, free of I/O: what an entry is, which events are logged, what an
entry is about (its subject), the names a summary needs, and the limits of the read routes.

An entry records one board event. Its ``id`` is the event's id (so a redelivered event finds
its entry), its ``seq`` the event's place in the board's log (1, 2, 3, ... without gaps), its
``data`` the event's data unchanged, and its ``createdAt`` the event's time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hintro_shared.ids import is_safe_id as is_safe_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
REPLAY_DEFAULT_LIMIT = 500
REPLAY_MAX_LIMIT = 500

BOARD_DELETED = "board.deleted"
USER_REGISTERED = "user.registered"
USER_RENAMED = "user.renamed"
# The families of board-scoped events (routing-key patterns of the consumer queue).
LOGGED_PREFIXES = ("board.", "list.", "task.", "comment.")


NameKind = Literal["user", "list", "task", "previous_list", "previous_task"]
# Kinds whose name can be looked up again later (a user's name, a list's or task's current
# title); a "previous" title is the one held just before the event and can only be read then.
HEALABLE: frozenset[str] = frozenset({"user", "list", "task"})


def is_logged(event_type: str) -> bool:
    """Whether an event of this type becomes an entry (every board-scoped event but the
    board's deletion, which removes the log instead)."""
    return event_type != BOARD_DELETED and event_type.startswith(LOGGED_PREFIXES)


@dataclass(frozen=True)
class Subject:
    """What an entry is about: ``kind`` is board, member, list or task."""

    kind: str
    id: str | None

    def to_doc(self) -> dict[str, Any]:
        """The stored form (the wire form is the same, see ``schemas.entry_json``)."""
        return {"kind": self.kind, "id": self.id}


def subject_of(event_type: str, board_id: str, data: Mapping[str, Any]) -> Subject:
    """The subject of an event: the member for ``board.member_*``, else its aggregate."""
    family, _, action = event_type.partition(".")
    if family == "board" and action.startswith("member_"):
        return Subject("member", _str_or_none(data.get("userId")))
    if family == "list":
        return Subject("list", _str_or_none(data.get("listId")))
    if family in ("task", "comment"):
        # A comment's entry is about its task (the card the comment is on).
        return Subject("task", _str_or_none(data.get("taskId")))
    return Subject("board", board_id)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class NameRef:
    """A name a summary wants: a user's name or a list's or task's (current or previous) title."""

    kind: NameKind
    id: str


@dataclass
class Names:
    """Names known when a summary is written, by kind and id."""

    known: dict[NameKind, dict[str, str]] = field(default_factory=dict)

    def get(self, ref: NameRef) -> str | None:
        """The name of ``ref`` or ``None``."""
        return self.known.get(ref.kind, {}).get(ref.id)

    def add(self, ref: NameRef, name: str) -> None:
        """Remember ``ref``'s name."""
        self.known.setdefault(ref.kind, {})[ref.id] = name

    def to_doc(self) -> list[dict[str, str]]:
        """Stored form: a list of ``{k, id, name}`` (ids are never used as document keys)."""
        return [
            {"k": kind, "id": ref_id, "name": name}
            for kind, names in sorted(self.known.items())
            for ref_id, name in sorted(names.items())
        ]

    @classmethod
    def from_doc(cls, doc: Iterable[Mapping[str, Any]] | None) -> Names:
        """The inverse of :meth:`to_doc` (malformed items are skipped)."""
        names = cls()
        for item in doc or ():
            kind, ref_id, name = item.get("k"), item.get("id"), item.get("name")
            if kind in HEALABLE | {"previous_list", "previous_task"} and isinstance(name, str):
                names.add(NameRef(kind, str(ref_id)), name)
        return names


@dataclass(frozen=True)
class Actor:
    """Who did it: ``id`` is ``None`` for an event without actor, ``name`` when unknown."""

    id: str | None
    name: str | None


@dataclass(frozen=True)
class Entry:
    """One entry of a board's activity log (docs/api.md, "Activity": Entry)."""

    id: str
    board_id: str
    seq: int
    type: str
    actor: Actor
    subject: Subject
    summary: str
    data: dict[str, Any]
    created_at: str
    """RFC 3339 UTC: the event's time."""


def contiguous_from(after_seq: int, seqs: Iterable[int]) -> int:
    """How many of ``seqs`` (ascending) continue ``after_seq`` without a gap."""
    count = 0
    for seq in seqs:
        if seq != after_seq + count + 1:
            break
        count += 1
    return count
