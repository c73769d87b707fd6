"""The socket use cases: connect (token check), ``board:join`` (membership, replay, gating),
``board:leave`` and disconnect. They depend on small interfaces (:class:`Rooms`,
:class:`Membership`, :class:`History`, :class:`Verifier`), wired in ``app.py``."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from hintro_realtime.domain import JoinBucket, JoinRefused, Push
from hintro_realtime.metrics import CONNECTED_SOCKETS, JOINS, RECHECK_DISCONNECTS, REPLAYED
from hintro_realtime.schemas import (
    JoinAck,
    JoinPayload,
    LeaveAck,
    LeavePayload,
    Refusal,
    ReplayPage,
    payload_error,
)
from hintro_shared.tokens import Claims, InvalidToken, KeysUnavailable

_log = logging.getLogger(__name__)

Ack = dict[str, Any]


class ConnectRefused(Exception):
    """The socket may not connect (answered with ``connect_error``)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Verifier(Protocol):
    """Checks access tokens (``hintro_shared.tokens.TokenVerifier``)."""

    async def verify(self, token: str) -> Claims: ...


class Membership(Protocol):
    """Whether the token's user is a member of a board (raises :class:`JoinRefused`)."""

    async def check(self, board_id: str, token: str) -> None: ...


class History(Protocol):
    """A board's recorded events after a seq (raises :class:`JoinRefused`)."""

    async def after(self, board_id: str, after_seq: int, limit: int, token: str) -> ReplayPage: ...


class Rooms(Protocol):
    """The board rooms of this replica's sockets (the client manager)."""

    def open_gate(self, sid: str, board_id: str, user_id: str) -> Any: ...

    async def admit(self, sid: str, board_id: str) -> bool: ...

    async def send(self, sid: str, payload: dict[str, Any]) -> None: ...

    async def finish_sync(self, sid: str, board_id: str, floor: int) -> int | None: ...

    async def close_gate(self, sid: str, board_id: str) -> None: ...

    def boards_of(self, sid: str) -> set[str]: ...

    def forget(self, sid: str) -> None: ...

    def enter_user_room(self, sid: str, user_id: str) -> None: ...


Disconnect = Callable[[str], Awaitable[None]]
"""Closes a socket from the server side (the client reconnects and rejoins)."""


@dataclass(frozen=True)
class Connection:
    """An authenticated socket: whose it is and the token it connected with (forwarded to
    board and activity, which authorize the user themselves)."""

    user_id: str
    token: str


def refused(code: str, detail: str) -> Ack:
    """The ack of a refused request."""
    return Refusal.model_validate({"error": code, "detail": detail}).wire()


class RealtimeService:
    """One per replica; keeps its sockets' connections."""

    def __init__(
        self,
        rooms: Rooms,
        verifier: Verifier,
        membership: Membership,
        history: History,
        *,
        replay_max_events: int,
        join_burst: int = 10,
        join_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rooms = rooms
        self._verifier = verifier
        self._membership = membership
        self._history = history
        self._replay_max = replay_max_events
        self._connections: dict[str, Connection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._join_burst = join_burst
        self._join_interval = join_interval
        self._buckets: dict[str, JoinBucket] = {}
        self._clock = clock

    @property
    def connections(self) -> Mapping[str, Connection]:
        """This replica's authenticated sockets by sid."""
        return self._connections

    async def connect(self, sid: str, auth: object) -> Connection:
        """Accept a socket whose handshake carries ``auth: {token}`` with a valid token."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectRefused("unauthorized", "auth: {token: <accessToken>} is required.")
        try:
            claims = await self._verifier.verify(token)
        except KeysUnavailable:
            raise ConnectRefused("unavailable", "Tokens cannot be checked right now.") from None
        except InvalidToken:
            raise ConnectRefused(
                "unauthorized", "The access token is invalid or expired."
            ) from None
        connection = Connection(claims.user_id, token)
        self._connections[sid] = connection
        self._rooms.enter_user_room(sid, claims.user_id)
        CONNECTED_SOCKETS.inc()
        return connection

    async def disconnect(self, sid: str) -> None:
        """The socket is gone: forget it and its gates."""
        self._rooms.forget(sid)
        self._locks.pop(sid, None)
        self._buckets.pop(sid, None)
        if self._connections.pop(sid, None) is not None:
            CONNECTED_SOCKETS.dec()

    @asynccontextmanager
    async def _serialized(self, sid: str) -> AsyncIterator[None]:
        # Socket.IO runs a socket's handlers concurrently; its joins and leaves go one by one.
        lock = self._locks.setdefault(sid, asyncio.Lock())
        async with lock:
            yield

    async def join(self, sid: str, raw: object) -> Ack:
        """``board:join {boardId, sinceSeq?}`` → ``{ok: true, seq}`` (``resync: true`` when the
        gap is too large to replay) or ``{ok: false, error, detail}``; ``rate_limited``, at
        no cost, past the socket's join budget."""
        bucket = self._buckets.get(sid)
        if bucket is None:
            bucket = self._buckets[sid] = JoinBucket(self._join_burst, self._join_interval)
        wait = bucket.take(self._clock())
        if wait > 0:
            JOINS.labels("rate_limited").inc()
            return refused(
                "rate_limited", f"Too many board:join; retry in {math.ceil(wait)} seconds."
            )
        try:
            request = JoinPayload.model_validate(raw)
        except ValidationError as exc:
            JOINS.labels("invalid").inc()
            return refused("invalid", payload_error(exc))
        connection = self._connections.get(sid)
        if connection is None:
            JOINS.labels("unauthorized").inc()
            return refused("unauthorized", "The socket is not authenticated.")
        async with self._serialized(sid):
            try:
                ack = await self._join(sid, connection, request)
            except JoinRefused as exc:
                await self._rooms.close_gate(sid, request.board_id)
                JOINS.labels(exc.code).inc()
                return refused(exc.code, exc.detail)
            except BaseException:
                await self._rooms.close_gate(sid, request.board_id)
                raise
        JOINS.labels("resync" if ack.get("resync") else "ok").inc()
        return ack

    async def _join(self, sid: str, connection: Connection, request: JoinPayload) -> Ack:
        board_id, token = request.board_id, connection.token
        try:
            await self._verifier.verify(token)  # it may have expired since the connect
        except KeysUnavailable:
            raise JoinRefused("unavailable", "Tokens cannot be checked right now.") from None
        except InvalidToken:
            raise JoinRefused(
                "unauthorized", "The access token has expired; reconnect with a fresh one."
            ) from None
        # The gate exists before the membership check, so a removal processed while the check
        # is in flight revokes it and the join is refused instead of slipping in afterwards.
        self._rooms.open_gate(sid, board_id, connection.user_id)
        await self._membership.check(board_id, token)
        if not await self._rooms.admit(sid, board_id):
            raise JoinRefused("not_found", "No such board, or you are not a member of it.")
        # From here on live pushes for the socket are buffered by its gate; whatever the
        # activity log holds now is replayed (or skipped), the rest arrives live.
        resync = False
        if request.since_seq is None:
            floor = (await self._history.after(board_id, 0, 0, token)).seq
        else:
            page = await self._history.after(board_id, request.since_seq, self._replay_max, token)
            pushes = _replayable(page, request.since_seq)
            if pushes is None:
                resync, floor = True, page.seq
            else:
                for push in pushes:
                    await self._rooms.send(sid, push.payload())
                REPLAYED.inc(len(pushes))
                # The run is contiguous from sinceSeq + 1; entries recorded after it are
                # newer than the socket's admission, so they arrive live (buffered meanwhile).
                floor = request.since_seq + len(pushes)
        seq = await self._rooms.finish_sync(sid, board_id, floor)
        if seq is None:
            raise JoinRefused("not_found", "No such board, or you are not a member of it.")
        return JoinAck(seq=seq, resync=True if resync else None).wire()

    async def recheck(self, disconnect: Disconnect, *, concurrency: int = 8) -> dict[str, int]:
        """Check every socket again: its token (expired: disconnect) and each board it is in
        (no longer a member: disconnect). Membership is asked once per (user, board) whatever
        the number of that user's sockets; a board service that cannot answer keeps the socket
        (it is asked again next round). Returns the disconnections by reason."""
        expired: set[str] = set()
        by_user_board: dict[tuple[str, str], list[str]] = {}
        for sid, connection in list(self._connections.items()):
            try:
                await self._verifier.verify(connection.token)
            except InvalidToken:
                expired.add(sid)
                continue
            except KeysUnavailable:
                continue
            for board_id in self._rooms.boards_of(sid):
                by_user_board.setdefault((connection.user_id, board_id), []).append(sid)
        lost: set[str] = set()
        limit = asyncio.Semaphore(concurrency)

        async def check(user_board: tuple[str, str], sids: list[str]) -> None:
            token = next(
                (c.token for s in sids if (c := self._connections.get(s)) is not None), None
            )
            if token is None:
                return
            async with limit:
                try:
                    await self._membership.check(user_board[1], token)
                except JoinRefused as exc:
                    if exc.code in ("not_found", "unauthorized"):
                        for sid in sids:
                            # Out of the room at once, then told by the disconnect.
                            await self._rooms.close_gate(sid, user_board[1])
                            lost.add(sid)

        await asyncio.gather(*(check(key, sids) for key, sids in by_user_board.items()))
        for sid in expired:
            RECHECK_DISCONNECTS.labels("token_expired").inc()
            await disconnect(sid)
        for sid in lost - expired:
            RECHECK_DISCONNECTS.labels("membership").inc()
            await disconnect(sid)
        return {"token_expired": len(expired), "membership": len(lost - expired)}

    async def leave(self, sid: str, raw: object) -> Ack:
        """``board:leave {boardId}`` → ``{ok: true}``."""
        try:
            request = LeavePayload.model_validate(raw)
        except ValidationError as exc:
            return refused("invalid", payload_error(exc))
        async with self._serialized(sid):
            await self._rooms.close_gate(sid, request.board_id)
        return LeaveAck().wire()


def _replayable(page: ReplayPage, since_seq: int) -> list[Push] | None:
    """The pushes that bring a client from ``since_seq`` to the board's current seq, or
    ``None`` when that cannot be done by replay (more than one page is missing, the client
    claims a seq the board never reached, or the page is not the contiguous run it should
    be)."""
    if since_seq > page.seq or page.next is not None:
        return None
    expected = since_seq + 1
    for entry in page.items:
        if entry.seq != expected:
            _log.warning("activity replay page not contiguous; asking for a resync")
            return None
        expected += 1
    return [entry.to_push() for entry in page.items]
