"""The ordered push: every ``activity.recorded`` becomes a push to its board's room, in
``seq`` order, once.

Exactly one replica pushes at a time (its queue has ``x-single-active-consumer``), so two
replicas never race each other's pushes. Activity records a board's events concurrently, so
``activity.recorded`` may arrive out of seq order: an event whose predecessor has not been
pushed yet is *held* (unacknowledged, in a :class:`~hintro_realtime.domain.Reorder`) until the
predecessor arrives, or for at most ``gap_wait`` seconds, after which the gap is given up on and
clients see it in ``seq``. The last pushed seq of each board lives in Redis
(:class:`~hintro_realtime.repository.RedisSeqCursor`), so a redelivered or duplicated event is
dropped and the role can move to another replica. A failing push (Redis down) is retried in
place: moving on would reorder the board.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from hintro_realtime.domain import Push, Reorder
from hintro_realtime.metrics import DUPLICATES, GAPS_SKIPPED, HELD_EVENTS, PUSHES

_log = logging.getLogger(__name__)
R = TypeVar("R")

Settle = Callable[[], Awaitable[None]]
"""Acknowledges the message an event came in (never raises)."""


class Fanout(Protocol):
    """Sends to a board's room on every replica (the client manager)."""

    async def push(self, push: Push, *, skip_sid: str | None) -> None: ...

    async def evict(self, board_id: str, user_id: str) -> None: ...

    async def close_board(self, board_id: str) -> None: ...


class SeqCursor(Protocol):
    """The last pushed seq of each board."""

    async def last(self, board_id: str) -> int: ...

    async def advance(self, board_id: str, seq: int) -> None: ...

    async def forget(self, board_id: str) -> None: ...


@dataclass(frozen=True)
class Incoming:
    """One event to push, the socket that caused it (no echo) and how to acknowledge it."""

    push: Push
    origin_socket_id: str | None
    settle: Settle


class Pusher:
    """See the module docstring. Not safe for concurrent calls: the consumer feeds it one
    event at a time."""

    def __init__(
        self,
        fanout: Fanout,
        cursor: SeqCursor,
        *,
        gap_wait: float,
        retry_max_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fanout = fanout
        self._cursor = cursor
        self._reorder: Reorder[Incoming] = Reorder(gap_wait)
        self._retry_max = retry_max_seconds
        self._clock = clock

    async def recorded(self, item: Incoming) -> None:
        """An ``activity.recorded`` event: push it now if it is the board's next seq (and any
        held successors after it), hold it if an earlier seq is missing, drop it if pushed."""
        push = item.push
        assert push.seq is not None, "recorded events always have a seq"
        last = await self._retrying(lambda: self._cursor.last(push.board_id))
        if push.seq <= last:
            DUPLICATES.inc()
            # Not pushed again, but a removal still evicts: it may be arriving after the gap it
            # left was skipped, and the removed member must not keep the room for that.
            await self._evict_removed(push)
            await item.settle()
            return
        replaced = self._reorder.hold(push.board_id, push.seq, item, self._clock())
        if replaced is not None:
            await replaced.settle()  # the same event delivered twice: keep one copy
        await self._advance(push.board_id, last)

    async def deleted(self, item: Incoming) -> None:
        """``board.deleted``: tell the board's sockets, empty its room everywhere, forget it."""
        board_id = item.push.board_id
        for held in self._reorder.drop(board_id):
            await held.settle()
        await self._retrying(lambda: self._fanout.push(item.push, skip_sid=item.origin_socket_id))
        PUSHES.labels(item.push.type).inc()
        await self._retrying(lambda: self._fanout.close_board(board_id))
        await self._retrying(lambda: self._cursor.forget(board_id))
        HELD_EVENTS.set(len(self._reorder))
        await item.settle()

    def seconds_to_wait(self) -> float | None:
        """How long until a held board stops waiting for its missing seq (``None``: nothing
        is held); call :meth:`expire` then."""
        deadline = self._reorder.next_deadline()
        return None if deadline is None else max(0.0, deadline - self._clock())

    async def expire(self) -> None:
        """Give up on missing seqs that were waited for long enough: push what follows."""
        for board_id in self._reorder.expired(self._clock()):
            await self._advance(board_id, skip_gap=True)

    async def _advance(
        self, board_id: str, last: int | None = None, *, skip_gap: bool = False
    ) -> None:
        # ``last`` is the cursor just read by the caller: nothing advanced it since (one
        # pusher, one event at a time), so it saves a second Redis round trip per event.
        if last is None:
            last = await self._retrying(lambda: self._cursor.last(board_id))
        for stale in self._reorder.drop_upto(board_id, last):
            DUPLICATES.inc()
            await self._evict_removed(stale.push)
            await stale.settle()
        first = self._reorder.first_held(board_id)
        if skip_gap and first is not None and first > last + 1:
            GAPS_SKIPPED.inc()
            _log.warning(
                "gave up waiting for missing activity seqs",
                extra={"boardId": board_id, "missingFrom": last + 1, "missingTo": first - 1},
            )
            last = first - 1
        while (item := self._reorder.take_next(board_id, last)) is not None:
            await self._send(item)
            last = item.push.seq or last
            await item.settle()
        self._reorder.settle(board_id, self._clock())
        HELD_EVENTS.set(len(self._reorder))

    async def _send(self, item: Incoming) -> None:
        push = item.push
        await self._retrying(lambda: self._fanout.push(push, skip_sid=item.origin_socket_id))
        PUSHES.labels(push.type).inc()
        # After the push (the removed member learns of it), on the same channel: every
        # replica evicts before it delivers anything recorded later.
        await self._evict_removed(push)
        seq = push.seq
        assert seq is not None
        await self._retrying(lambda: self._cursor.advance(push.board_id, seq))

    async def _evict_removed(self, push: Push) -> None:
        """A member removal evicts the member's sockets from the board's room on every replica
        (idempotent: evicting someone not there does nothing)."""
        removed = push.removed_user
        if removed is not None:
            await self._retrying(lambda: self._fanout.evict(push.board_id, removed))

    async def _retrying(self, call: Callable[[], Awaitable[R]]) -> R:
        """Retry a Redis-backed step until it works: skipping it would lose or reorder pushes.
        Cancellation (shutdown) ends it; the unacknowledged events are redelivered."""
        delay = 0.05
        while True:
            try:
                return await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("push step failed; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
