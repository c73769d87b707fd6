"""The Socket.IO client manager: python-socketio's ``AsyncRedisManager`` (every replica
publishes to and listens on one Redis channel), extended with what board rooms need.

- **Gated delivery.** A board push reaching a replica (from itself or through Redis) is sent to
  each of its local sockets in the board's room through that socket's :class:`Gate`: buffered
  while the socket's join replays what it missed, afterwards only if its ``seq`` is above what
  the socket was last sent. So a rejoin gets each event once and in order across the
  replay/live boundary, and a duplicate push is never seen twice.
- **Control messages** travel on the same channel as the pushes, so every replica applies them
  in the same order relative to the pushes: ``evict`` (a removed member's sockets leave the
  board's room), ``close`` (a deleted board's room empties), ``ping`` (a round trip through
  Redis, for start-up and readiness). python-socketio's own ``leave_room`` only reaches a
  *sid* on another host (async_pubsub_manager.py); removal is by user, whose sockets only their
  own replica knows, hence the control message.
- **One encoding per push.** A push is encoded once (Socket.IO packet, then Engine.IO packet,
  whose encoding the packet caches) and the same packet object is queued on every recipient's
  Engine.IO socket without awaiting: each socket's own writer task sends it. The stock emit
  also encodes once, but then starts one task per recipient to queue it, which at 10,000
  sockets costs more than the sending itself.
- **Publishing fails loudly.** The stock ``_publish`` logs and swallows a Redis error; here it
  raises, so the pusher retries instead of acknowledging an event nobody received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from hintro_realtime.domain import (
    NOTIFICATION_EVENT,
    PUSH_EVENT,
    Gate,
    Push,
    board_of_room,
    board_room,
    user_room,
)
from hintro_realtime.metrics import DELIVERIES

_log = logging.getLogger(__name__)

NAMESPACE = "/"
CONTROL_EVENT = "hintro:control"
CONTROL_ROOM = "hintro:control"
PUBLISH_TIMEOUT_SECONDS = 5.0

Payload = dict[str, Any]


class RealtimeManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """See the module docstring. One per process; ``AsyncServer(client_manager=...)``."""

    connected: bool
    """Whether the publishing Redis client is believed to work (python-socketio's flag)."""

    def __init__(self, url: str, *, channel: str) -> None:
        # No socket timeout: the listener blocks on the subscription between messages.
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": 2.0, "socket_keepalive": True},
        )
        self._gates: dict[str, dict[str, Gate[Payload]]] = {}  # board -> sid -> gate
        self._boards_of: dict[str, set[str]] = {}  # sid -> boards with a gate
        self._pings: dict[str, asyncio.Future[None]] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, server: Any) -> None:
        """Start listening now rather than on the first connection (python-socketio's lazy
        default), so pushes are received from the moment the replica is ready."""
        if not server.manager_initialized:
            server.manager_initialized = True
            self.initialize()

    async def stop(self) -> None:
        """Stop listening and close the Redis connections."""
        thread = getattr(self, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await thread
        for client in (self.pubsub, self.redis):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def ping(self, within: float) -> None:
        """Publish a probe and wait until this replica's listener receives it back: proves
        that Redis takes publishes and that the subscription is live."""
        nonce = uuid.uuid4().hex
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pings[nonce] = arrived
        try:
            # A foreign host_id, or the listener would skip its own message.
            await self._publish(
                {
                    "method": "emit",
                    "event": CONTROL_EVENT,
                    "data": [{"op": "ping", "nonce": nonce}],
                    "binary": False,
                    "namespace": NAMESPACE,
                    "room": CONTROL_ROOM,
                    "skip_sid": None,
                    "callback": None,
                    "host_id": f"probe-{nonce}",
                }
            )
            await asyncio.wait_for(arrived, within)
        finally:
            self._pings.pop(nonce, None)

    async def _publish(self, data: Payload) -> Any:
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                return await asyncio.wait_for(
                    self.redis.publish(self.channel, self.json.dumps(data)),
                    PUBLISH_TIMEOUT_SECONDS,
                )
            except Exception:
                self.connected = False
                if attempt == 2:
                    raise
        return None  # pragma: no cover

    # -- gates (called by the join use case, on the socket's own replica) --------------------

    def open_gate(self, sid: str, board_id: str, user_id: str) -> Gate[Payload]:
        """A fresh, syncing gate for the socket on the board (replacing any earlier one)."""
        previous = self._gates.get(board_id, {}).get(sid)
        gate: Gate[Payload] = Gate(user_id=user_id)
        if previous is not None:
            previous.revoked = True
            gate.admitted = previous.admitted
        self._gates.setdefault(board_id, {})[sid] = gate
        self._boards_of.setdefault(sid, set()).add(board_id)
        return gate

    async def admit(self, sid: str, board_id: str) -> bool:
        """Put the socket in the board's room, unless its gate was revoked meanwhile."""
        gate = self._gates.get(board_id, {}).get(sid)
        if gate is None or gate.revoked or not self.is_connected(sid, NAMESPACE):
            return False
        self.basic_enter_room(sid, NAMESPACE, board_room(board_id))
        gate.admitted = True
        return True

    async def finish_sync(self, sid: str, board_id: str, floor: int) -> int | None:
        """After the replay (which sent everything up to ``floor``): send the pushes that
        arrived meanwhile and are newer, then go live. Returns the socket's seq for the ack,
        or ``None`` when the gate was revoked (the member was removed, the board deleted)."""
        gate = self._gates.get(board_id, {}).get(sid)
        if gate is None or gate.revoked:
            return None
        gate.raise_floor(floor)
        while True:
            for payload in gate.drain():
                await self.send(sid, payload)
            if gate.revoked:
                return None
            # No await between the emptiness check and the switch: nothing slips in between.
            if gate.go_live():
                return gate.floor

    def boards_of(self, sid: str) -> set[str]:
        """The boards the socket is in (admitted, not revoked)."""
        return {
            board_id
            for board_id in self._boards_of.get(sid, ())
            if (gate := self._gates.get(board_id, {}).get(sid)) is not None
            and gate.admitted
            and not gate.revoked
        }

    async def close_gate(self, sid: str, board_id: str) -> None:
        """The socket leaves the board (board:leave, a failed join)."""
        self._drop(sid, board_id)

    def forget(self, sid: str) -> None:
        """The socket disconnected: drop its gates (python-socketio empties its rooms)."""
        for board_id in list(self._boards_of.get(sid, ())):
            gate = self._gates.get(board_id, {}).pop(sid, None)
            if gate is not None:
                gate.revoked = True
            if not self._gates.get(board_id):
                self._gates.pop(board_id, None)
        self._boards_of.pop(sid, None)

    def _drop(self, sid: str, board_id: str) -> None:
        gates = self._gates.get(board_id, {})
        gate = gates.pop(sid, None)
        if not gates:
            self._gates.pop(board_id, None)
        boards = self._boards_of.get(sid)
        if boards is not None:
            boards.discard(board_id)
            if not boards:
                self._boards_of.pop(sid, None)
        if gate is not None:
            gate.revoked = True
        self.basic_leave_room(sid, NAMESPACE, board_room(board_id))

    async def send(self, sid: str, payload: Payload) -> None:
        """Queue one push on one local socket, now (replays and flushes)."""
        eio_sid = self.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is not None:
            self._send_to([eio_sid], payload)

    def _send_to(self, eio_sids: list[str], payload: Payload) -> None:
        """Queue one push on each of these local Engine.IO sessions, in this order relative
        to everything else queued on each (the sockets' writer tasks send it)."""
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=NAMESPACE, data=[PUSH_EVENT, payload]
        ).encode()
        # A text packet (pushes carry no binary): one Engine.IO packet, encoded here once and
        # cached inside it, shared by every recipient.
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        message.encode()
        sockets = self.server.eio.sockets
        sent = 0
        for eio_sid in eio_sids:
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            socket.queue.put_nowait(message)
            sent += 1
        DELIVERIES.inc(sent)

    # -- what the pusher sends (reaches every replica, this one first) -----------------------

    async def push(self, push: Push, *, skip_sid: str | None) -> None:
        """Fan a push out to the board's room on every replica, except ``skip_sid``."""
        await self.emit(
            PUSH_EVENT, push.payload(), NAMESPACE, room=board_room(push.board_id), skip_sid=skip_sid
        )

    def enter_user_room(self, sid: str, user_id: str) -> None:
        """Put a newly connected socket in its user's room (its notifications)."""
        self.basic_enter_room(sid, NAMESPACE, user_room(user_id))

    async def notify(self, user_id: str, payload: Payload) -> None:
        """Send a notification to the user's sockets on every replica."""
        await self.emit(NOTIFICATION_EVENT, payload, NAMESPACE, room=user_room(user_id))

    async def evict(self, board_id: str, user_id: str) -> None:
        """Take the user's sockets, on every replica, out of the board's room."""
        await self._control({"op": "evict", "boardId": board_id, "userId": user_id})

    async def close_board(self, board_id: str) -> None:
        """Empty the board's room on every replica."""
        await self._control({"op": "close", "boardId": board_id})

    async def _control(self, payload: Payload) -> None:
        await self.emit(CONTROL_EVENT, payload, NAMESPACE, room=CONTROL_ROOM)

    # -- what every replica does with a message ----------------------------------------------

    async def _handle_emit(self, message: Payload) -> None:
        event, room = message.get("event"), message.get("room")
        payload = _single(message.get("data"))
        if event == CONTROL_EVENT and isinstance(payload, dict):
            self._apply_control(payload)
            return
        board_id = board_of_room(room)
        if event == PUSH_EVENT and board_id is not None and isinstance(payload, dict):
            await self._deliver(board_id, payload, _skipped(message.get("skip_sid")))
            return
        await super()._handle_emit(message)

    async def _deliver(self, board_id: str, payload: Payload, skip: set[str]) -> None:
        gates = self._gates.get(board_id)
        if not gates:
            return
        seq = payload.get("seq")
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        recipients = [
            eio_sid
            for sid, eio_sid in self.get_participants(NAMESPACE, board_room(board_id))
            if sid not in skip and (gate := gates.get(sid)) is not None and gate.offer(seq, payload)
        ]
        if recipients:
            self._send_to(recipients, payload)

    def _apply_control(self, payload: Payload) -> None:
        op = payload.get("op")
        if op == "ping":
            arrived = self._pings.get(str(payload.get("nonce")))
            if arrived is not None and not arrived.done():
                arrived.set_result(None)
            return
        board_id = payload.get("boardId")
        if not isinstance(board_id, str):
            return
        if op == "evict":
            user_id = payload.get("userId")
            for sid, gate in list(self._gates.get(board_id, {}).items()):
                if gate.user_id == user_id:
                    self._drop(sid, board_id)
        elif op == "close":
            for sid in list(self._gates.get(board_id, {})):
                self._drop(sid, board_id)
            self.basic_close_room(board_room(board_id), NAMESPACE)
        else:
            _log.warning("unknown control message ignored", extra={"op": str(op)})


def _single(data: object) -> object:
    """The one argument of an emit (python-socketio wraps it in a list)."""
    if isinstance(data, list) and len(data) == 1:
        return data[0]
    return data


def _skipped(skip_sid: object) -> set[str]:
    if isinstance(skip_sid, str):
        return {skip_sid}
    if isinstance(skip_sid, Iterable):
        return {sid for sid in skip_sid if isinstance(sid, str)}
    return set()
