"""Shapes of what crosses the realtime service's edges: the payloads clients emit, and the
activity service's replay page (services/activity/README.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from hintro_realtime.domain import Push
from hintro_shared.ids import ID_PATTERN

BoardId = Annotated[str, Field(pattern=ID_PATTERN)]
Seq = Annotated[StrictInt, Field(ge=0)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class JoinPayload(_Payload):
    """``board:join``: ``{boardId, sinceSeq?}``; ``sinceSeq`` is the last seq the client has."""

    board_id: BoardId = Field(alias="boardId")
    since_seq: Seq | None = Field(default=None, alias="sinceSeq")


class LeavePayload(_Payload):
    """``board:leave``: ``{boardId}``."""

    board_id: BoardId = Field(alias="boardId")


def payload_error(exc: ValidationError) -> str:
    """A short, client-readable reason a payload was refused."""
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid payload"}
    where = ".".join(str(part) for part in first.get("loc", ())) or "payload"
    return f"{where}: {first.get('msg', 'invalid')}"


class _Upstream(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ActivityActor(_Upstream):
    """``entry.actor``."""

    id: str | None = None


class ActivityEntry(_Upstream):
    """One activity entry, as far as a push needs it."""

    id: str
    board_id: str = Field(alias="boardId")
    seq: Annotated[int, Field(ge=1)]
    type: str
    actor: ActivityActor = ActivityActor()
    data: dict[str, Any] = {}
    # Kept as activity wrote it: activity.recorded carries the very same string.
    created_at: str = Field(alias="createdAt")

    def to_push(self) -> Push:
        """The push this entry was (or would have been) sent as."""
        return Push(
            id=self.id,
            type=self.type,
            board_id=self.board_id,
            seq=self.seq,
            actor_id=self.actor.id,
            occurred_at=self.created_at,
            data=self.data,
        )


class ReplayPage(_Upstream):
    """``GET …/activity?afterSeq=N&limit=M``: contiguous entries after N, ascending; ``seq`` is
    the board's current (gapless) seq; ``next`` is set when more entries than ``limit``
    follow."""

    items: list[ActivityEntry]
    next: int | None = None
    seq: Annotated[int, Field(ge=0)]
