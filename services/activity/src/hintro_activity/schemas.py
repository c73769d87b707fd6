"""Query and response schemas of the activity route (camelCase on the wire; unknown query
parameters are rejected). Responses are documented here and shaped by :func:`entry_json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hintro_activity.domain import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    REPLAY_DEFAULT_LIMIT,
    REPLAY_MAX_LIMIT,
    Entry,
)

_QUERY = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)
_RESPONSE = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class HistoryQuery(BaseModel):
    """``?limit=&cursor=``: the log newest first (``cursor``: the previous page's ``next``)."""

    model_config = _QUERY

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=512)


class ReplayQuery(BaseModel):
    """``?afterSeq=&limit=``: the log after a seq, ascending (realtime's replay)."""

    model_config = _QUERY

    after_seq: int = Field(ge=0)
    limit: int = Field(default=REPLAY_DEFAULT_LIMIT, ge=0, le=REPLAY_MAX_LIMIT)


class ActivityQuery(BaseModel):
    """Both forms of the route's query, as documented (the handler validates one or the
    other: with ``afterSeq`` it is a replay)."""

    model_config = _QUERY

    limit: int | None = Field(
        default=None,
        description=f"Entries per page: 1..{MAX_LIMIT}, default {DEFAULT_LIMIT}; with afterSeq "
        f"0..{REPLAY_MAX_LIMIT}, default {REPLAY_DEFAULT_LIMIT} (0: only the board's seq).",
    )
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="The previous page's `next` (opaque): the entries older than that page.",
    )
    after_seq: int | None = Field(
        default=None,
        ge=0,
        description="Replay: entries with a greater seq, ascending and contiguous "
        "(not with `cursor`).",
    )


class ActorOut(BaseModel):
    """Who did it (``name`` is null while the user is unknown to this service)."""

    model_config = _RESPONSE

    id: str | None
    name: str | None


class SubjectOut(BaseModel):
    """What the entry is about."""

    model_config = _RESPONSE

    kind: Literal["board", "member", "list", "task"]
    id: str | None


class EntryOut(BaseModel):
    """One entry of a board's activity log."""

    model_config = _RESPONSE

    id: str = Field(description="The id of the event the entry records.")
    board_id: str
    seq: int = Field(ge=1, description="Position in the board's log: 1, 2, 3, ... no gaps.")
    type: str = Field(description="The event type, e.g. task.moved.")
    actor: ActorOut
    subject: SubjectOut
    summary: str = Field(description="A human sentence, e.g. Ada moved “Fix login” to Done.")
    data: dict[str, Any] = Field(description="The event's data, unchanged.")
    created_at: str = Field(description="When the change happened (RFC 3339 UTC).")


class ActivityPage(BaseModel):
    """The log, newest first."""

    model_config = _RESPONSE

    items: list[EntryOut]
    next: str | None = Field(
        description="The `cursor` of the next (older) page (opaque); null at the end."
    )


class ActivityReplay(BaseModel):
    """The log after ``afterSeq``: ascending, ``items[i].seq == afterSeq + 1 + i``."""

    model_config = _RESPONSE

    items: list[EntryOut]
    next: int | None = Field(
        description="`afterSeq` of the following page when the page was cut by `limit` and "
        "more entries are recorded; else null."
    )
    seq: int = Field(ge=0, description="The board's current seq: every entry 1..seq is recorded.")


def entry_json(entry: Entry) -> dict[str, Any]:
    """The entry as :class:`EntryOut` describes it, exactly the keys of the contract."""
    return {
        "id": entry.id,
        "boardId": entry.board_id,
        "seq": entry.seq,
        "type": entry.type,
        "actor": {"id": entry.actor.id, "name": entry.actor.name},
        "subject": {"kind": entry.subject.kind, "id": entry.subject.id},
        "summary": entry.summary,
        "data": entry.data,
        "createdAt": entry.created_at,
    }
