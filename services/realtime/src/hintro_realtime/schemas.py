"""Shapes of what crosses the realtime service's edges: the client protocol (the payloads
clients emit, the acks, the connect refusal and the pushed ``event``: the schemas of the
AsyncAPI document at ``/api/asyncapi.json``), and the activity service's replay page
(services/activity/README.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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
    since_seq: Seq | None = Field(
        default=None,
        alias="sinceSeq",
        description="The last seq the client has: the events after it are replayed before "
        "the ack. Without it nothing from the past is replayed.",
    )


class LeavePayload(_Payload):
    """``board:leave``: ``{boardId}``."""

    board_id: BoardId = Field(alias="boardId")


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    def wire(self) -> dict[str, Any]:
        """The payload as sent (camelCase; absent optional fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class ConnectAuth(_Wire):
    """The Socket.IO handshake's ``auth``: the access token (``Authorization`` is not used)."""

    token: str = Field(description="An access token, as for `Authorization: Bearer`.")


class ConnectRefusedData(_Wire):
    """``connect_error``'s ``data``."""

    detail: str


class ConnectRefusal(_Wire):
    """``connect_error``: the handshake was refused; the socket is not connected."""

    message: Literal["unauthorized", "unavailable"] = Field(
        description="`unauthorized`: no token, or an invalid or expired one (get a fresh one, "
        "reconnect). `unavailable`: the signing keys cannot be fetched (retry)."
    )
    data: ConnectRefusedData


class JoinAck(_Wire):
    """The ack of an accepted ``board:join``."""

    ok: Literal[True] = True
    seq: int = Field(
        ge=0,
        description="The highest seq the socket has (replayed, or the board's current seq): "
        "every later push on the board has a higher one.",
    )
    resync: Literal[True] | None = Field(
        default=None,
        description="Present when nothing was replayed because more than REPLAY_MAX_EVENTS "
        "were missing (or sinceSeq is beyond the board's seq): reload the board over REST and "
        "continue from `seq`.",
    )


class LeaveAck(_Wire):
    """The ack of a ``board:leave`` (joined or not)."""

    ok: Literal[True] = True


class Refusal(_Wire):
    """The ack of a refused ``board:join`` or ``board:leave``."""

    ok: Literal[False] = False
    error: Literal["invalid", "not_found", "unauthorized", "unavailable", "rate_limited"] = Field(
        description="`invalid`: the payload's shape (fix it). `not_found`: no such board or "
        "not a member (stop). `unauthorized`: the token expired since connecting (reconnect "
        "with a fresh one, rejoin). `unavailable`: board or activity did not answer (retry). "
        "`rate_limited`: the socket joined too often (retry after the seconds the detail "
        "names)."
    )
    detail: str


class PushOut(_Wire):
    """A board event as pushed to the board's sockets (Socket.IO event ``event``)."""

    id: str = Field(description="The event id (equal to the activity entry's id).")
    type: str = Field(description="The event type, e.g. `task.moved`.")
    board_id: str = Field(alias="boardId")
    seq: int | None = Field(
        ge=1,
        description="The entry's seq in the board's activity log; `null` only for "
        "`board.deleted`, which ends the log instead of adding to it.",
    )
    actor_id: str | None = Field(alias="actorId", description="Who caused it (may be null).")
    occurred_at: str = Field(
        alias="occurredAt",
        description="When it happened (RFC 3339 UTC, milliseconds): the entry's createdAt.",
    )
    data: dict[str, Any] = Field(description="The event's data (docs/events.md).")


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
