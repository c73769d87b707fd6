"""The realtime service's rules, free of any I/O: what a push is, which room a board's sockets
share, what one socket has been sent of a board's stream (:class:`Gate`), and how the pusher
puts a board's events back in ``seq`` order (:class:`Reorder`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

PUSH_EVENT = "event"
"""The Socket.IO event every board event is pushed as (docs/api.md, "Realtime (Socket.IO)")."""
ROOM_PREFIX = "board:"
NOTIFICATION_EVENT = "notification"
"""The Socket.IO event a user's new notification is pushed as, to every socket of that user."""
USER_ROOM_PREFIX = "user:"
MEMBER_REMOVED = "board.member_removed"
BOARD_DELETED = "board.deleted"


class JoinRefused(Exception):
    """A ``board:join`` that is answered ``{ok: false, error: code}``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def board_room(board_id: str) -> str:
    """The Socket.IO room of a board's sockets."""
    return f"{ROOM_PREFIX}{board_id}"


def user_room(user_id: str) -> str:
    """The Socket.IO room of a user's sockets (every tab, joined on connect)."""
    return f"{USER_ROOM_PREFIX}{user_id}"


def board_of_room(room: object) -> str | None:
    """The board a room belongs to, or ``None`` for any other room (a sid's own room)."""
    if isinstance(room, str) and room.startswith(ROOM_PREFIX):
        return room[len(ROOM_PREFIX) :]
    return None


@dataclass(frozen=True)
class Push:
    """One board event as clients receive it; ``seq`` is the activity log's (``None`` only for
    ``board.deleted``, which ends the board's log instead of adding to it)."""

    id: str
    type: str
    board_id: str
    seq: int | None
    actor_id: str | None
    occurred_at: str
    data: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        """The Socket.IO ``event`` payload ``{id, type, boardId, seq, actorId, occurredAt,
        data}``."""
        return {
            "id": self.id,
            "type": self.type,
            "boardId": self.board_id,
            "seq": self.seq,
            "actorId": self.actor_id,
            "occurredAt": self.occurred_at,
            "data": dict(self.data),
        }

    @property
    def removed_user(self) -> str | None:
        """The member a ``board.member_removed`` push takes off the board."""
        if self.type != MEMBER_REMOVED:
            return None
        user = self.data.get("userId")
        return user if isinstance(user, str) else None


@dataclass
class Gate(Generic[T]):
    """What one socket has been sent of one board's pushes: each ``seq`` at most once and in
    increasing order.

    A gate starts *syncing*: live pushes are buffered while the join replays what the socket
    missed; :meth:`drain` then hands over the buffered ones beyond the replay, and
    :meth:`go_live` ends the syncing once the buffer is empty. Live, a push is sent only if its
    seq is above the ``floor`` (the highest seq sent), which also absorbs duplicates.
    """

    user_id: str
    floor: int = 0
    syncing: bool = True
    revoked: bool = False
    admitted: bool = False
    """Whether the socket was put in the board's room (so leaving it is needed)."""
    _buffer: list[tuple[int, T]] = field(default_factory=list)

    def offer(self, seq: int | None, item: T) -> bool:
        """A live push reached this socket: ``True`` when it is to be sent now."""
        if self.revoked:
            return False
        if seq is None:
            return True  # board.deleted has no seq and ends the stream: never held back
        if self.syncing:
            self._buffer.append((seq, item))
            return False
        if seq <= self.floor:
            return False
        self.floor = seq
        return True

    def raise_floor(self, seq: int) -> None:
        """Everything up to ``seq`` has been sent (by the replay) or is known to the client."""
        self.floor = max(self.floor, seq)

    def drain(self) -> list[T]:
        """The buffered pushes above the floor, in seq order and each seq once; the floor
        moves past them and the buffer empties."""
        buffered, self._buffer = sorted(self._buffer, key=lambda entry: entry[0]), []
        out: list[T] = []
        for seq, item in buffered:
            if seq > self.floor:
                out.append(item)
                self.floor = seq
        return out

    def go_live(self) -> bool:
        """End the syncing, unless pushes arrived since the last :meth:`drain` (then drain
        again first)."""
        if self._buffer:
            return False
        self.syncing = False
        return True


class Reorder(Generic[T]):
    """The pusher's waiting room: per board, the events that arrived before an earlier seq,
    held until it comes or until the board has waited ``wait`` seconds for it."""

    def __init__(self, wait: float) -> None:
        self._wait = wait
        self._held: dict[str, dict[int, T]] = {}
        self._waiting_since: dict[str, float] = {}

    def hold(self, board_id: str, seq: int, item: T, now: float) -> T | None:
        """Keep ``item`` until its turn; returns the item it replaces (a redelivery) if any."""
        held = self._held.setdefault(board_id, {})
        replaced = held.get(seq)
        held[seq] = item
        self._waiting_since.setdefault(board_id, now)
        return replaced

    def take_next(self, board_id: str, last: int) -> T | None:
        """The held item with seq ``last + 1``, removed, or ``None``."""
        held = self._held.get(board_id)
        if not held or last + 1 not in held:
            return None
        return held.pop(last + 1)

    def settle(self, board_id: str, now: float) -> None:
        """After a board advanced: forget it when nothing is held, else restart its wait (the
        next missing seq gets the full time)."""
        if self._held.get(board_id):
            self._waiting_since[board_id] = now
        else:
            self._held.pop(board_id, None)
            self._waiting_since.pop(board_id, None)

    def drop_upto(self, board_id: str, last: int) -> list[T]:
        """Remove and return the held items with seq <= ``last`` (already pushed)."""
        held = self._held.get(board_id)
        if not held:
            return []
        stale = sorted(seq for seq in held if seq <= last)
        return [held.pop(seq) for seq in stale]

    def first_held(self, board_id: str) -> int | None:
        """The lowest seq held for a board."""
        held = self._held.get(board_id)
        return min(held) if held else None

    def expired(self, now: float) -> list[str]:
        """Boards that have waited too long for a missing seq."""
        return [board for board, since in self._waiting_since.items() if now - since >= self._wait]

    def next_deadline(self) -> float | None:
        """When the earliest wait ends (monotonic time), or ``None`` when nothing is held."""
        if not self._waiting_since:
            return None
        return min(self._waiting_since.values()) + self._wait

    def drop(self, board_id: str) -> list[T]:
        """Forget a board (it was deleted); returns what was held for it."""
        self._waiting_since.pop(board_id, None)
        return list(self._held.pop(board_id, {}).values())

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())


class SocketBudget:
    """How many Engine.IO sessions this process holds, in all and per client address, and
    whether one more may open. An address is the gateway's client address key (IPv4, or the
    /64 of an IPv6 address), so one client cannot take every socket slot of a replica."""

    def __init__(self, *, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self._address_of: dict[str, str] = {}  # session id -> address
        self._count: dict[str, int] = {}  # address -> sessions

    def __len__(self) -> int:
        return len(self._address_of)

    def holds(self, session_id: str) -> bool:
        """Whether the session is counted (open)."""
        return session_id in self._address_of

    def refusal(self, address: str) -> str | None:
        """Why one more session from ``address`` may not open (``"total"``, ``"address"``),
        or ``None`` when it may."""
        if len(self._address_of) >= self.total:
            return "total"
        if self._count.get(address, 0) >= self.per_address:
            return "address"
        return None

    def open(self, session_id: str, address: str) -> str | None:
        """Count a new session, unless :meth:`refusal` says no (then its reason)."""
        reason = self.refusal(address)
        if reason is None:
            self._address_of[session_id] = address
            self._count[address] = self._count.get(address, 0) + 1
        return reason

    def close(self, session_id: str) -> None:
        """A session ended (idempotent)."""
        address = self._address_of.pop(session_id, None)
        if address is None:
            return
        left = self._count[address] - 1
        if left:
            self._count[address] = left
        else:
            del self._count[address]


@dataclass
class JoinBucket:
    """A token bucket of ``board:join`` for one socket: ``burst`` at once, then one every
    ``interval`` seconds. Each join costs a board call and a replay of up to a page of events,
    so a socket that joins in a loop is refused instead of multiplying that work."""

    burst: int
    interval: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """Spend one join: ``0`` when allowed, else the seconds until one is."""
        if self.tokens < 0:
            self.tokens, self.at = float(self.burst), now
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) / self.interval)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * self.interval
