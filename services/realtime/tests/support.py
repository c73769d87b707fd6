"""Test support for the realtime service (services/realtime/tests): the service on real
RabbitMQ and Redis with its own exchange, queue, channel and key prefix, tokens signed with a
test key, stand-ins for the two endpoints it calls (``GET /api/boards/{id}`` of board and the
``afterSeq`` replay of activity), a recorder that plays the activity service (appends an entry,
publishes ``activity.recorded``), and a Socket.IO client that collects what it is pushed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import socketio
from aio_pika.abc import AbstractRobustConnection
from aiohttp import web
from aiohttp.test_utils import TestServer

from hintro_realtime.app import create_app
from hintro_realtime.config import Settings
from hintro_shared.events.catalogue import ActivityRecorded
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.redis_conn import make_redis
from hintro_shared.timeutil import rfc3339
from hintro_testkit.events import delete_event_objects
from hintro_testkit.infra import isolated_settings, unique, wait_for
from hintro_testkit.tokens import TokenMint

Hook = Callable[[str, str], Awaitable[None]]
"""An async hook of a stand-in endpoint, called with (board id, user id) before it answers."""


@dataclass
class StandIns:
    """Board membership and the activity log, as the board and activity services answer."""

    mint: TokenMint
    members: dict[str, set[str]] = field(default_factory=dict)
    log: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    before_board_answer: Hook | None = None
    before_replay_read: Hook | None = None
    before_replay_answer: Hook | None = None
    replay_calls: int = 0

    def app(self) -> web.Application:
        """The aiohttp app serving both endpoints."""
        app = web.Application()
        app.router.add_get("/api/boards/{boardId}", self._board)
        app.router.add_get("/api/boards/{boardId}/activity", self._activity)
        return app

    def _member(self, request: web.Request) -> tuple[str, str]:
        user = self.mint.user_of(request)
        if user is None:
            raise web.HTTPUnauthorized()
        board_id = request.match_info["boardId"]
        if user not in self.members.get(board_id, set()):
            raise web.HTTPNotFound()
        return board_id, user

    async def _board(self, request: web.Request) -> web.Response:
        board_id, user = self._member(request)
        if self.before_board_answer is not None:
            await self.before_board_answer(board_id, user)
        return web.json_response({"id": board_id, "lists": []})

    async def _activity(self, request: web.Request) -> web.Response:
        board_id, user = self._member(request)
        self.replay_calls += 1
        if self.before_replay_read is not None:
            await self.before_replay_read(board_id, user)
        after, limit = int(request.query["afterSeq"]), int(request.query.get("limit", "500"))
        entries = list(self.log.get(board_id, []))  # what is recorded when the query runs
        if self.before_replay_answer is not None:
            await self.before_replay_answer(board_id, user)
        newer = [entry for entry in entries if entry["seq"] > after]
        items = newer[:limit]
        more = len(newer) > len(items)
        next_after = (items[-1]["seq"] if items else after) if more else None
        return web.json_response({"items": items, "next": next_after, "seq": len(entries)})


class Recorder:
    """Plays the activity service: appends an entry to the stand-in log with the next seq and
    publishes its ``activity.recorded``."""

    def __init__(self, stand_ins: StandIns, publisher: EventPublisher) -> None:
        self._stand_ins = stand_ins
        self._publisher = publisher

    def record(
        self,
        board_id: str,
        event_type: str = "task.updated",
        data: dict[str, Any] | None = None,
        *,
        actor_id: str | None = None,
        origin_socket_id: str | None = None,
    ) -> EventEnvelope:
        """Append an entry and return its ``activity.recorded`` (not published yet)."""
        log = self._stand_ins.log.setdefault(board_id, [])
        seq = len(log) + 1
        event_id = uuid.uuid4().hex
        occurred_at = rfc3339(datetime.now(UTC))
        payload = data if data is not None else {"boardId": board_id, "n": seq}
        log.append(
            {
                "id": event_id,
                "boardId": board_id,
                "seq": seq,
                "type": event_type,
                "actor": {"id": actor_id, "name": None},
                "subject": {"kind": "board", "id": board_id},
                "summary": f"event {seq}",
                "data": payload,
                "createdAt": occurred_at,
            }
        )
        recorded = ActivityRecorded(
            entry_id=event_id,
            seq=seq,
            event_id=event_id,
            event_type=event_type,
            board_id=board_id,
            actor_id=actor_id,
            occurred_at=occurred_at,
            data=payload,
            origin_socket_id=origin_socket_id,
        )
        return new_event(
            "activity.recorded",
            source="hintro/activity",
            data=recorded,
            board_id=board_id,
            actor_id=actor_id,
            origin_socket_id=origin_socket_id,
        )

    async def publish(self, *envelopes: EventEnvelope) -> None:
        """Publish events in the order given."""
        for envelope in envelopes:
            await self._publisher.publish(envelope, within=10)

    async def record_and_publish(self, board_id: str, **kwargs: Any) -> EventEnvelope:
        """:meth:`record`, then publish it."""
        envelope = self.record(board_id, **kwargs)
        await self.publish(envelope)
        return envelope


class SocketClient:
    """A python-socketio ``AsyncClient`` that keeps every ``event`` it is pushed."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[dict[str, Any]] = []
        self.sio.on("event", self._on_event)

    async def _on_event(self, payload: dict[str, Any]) -> None:
        self.events.append(payload)

    @property
    def sid(self) -> str:
        """The Socket.IO sid (what REST calls send as ``X-Socket-Id``)."""
        sid = self.sio.get_sid()
        assert isinstance(sid, str)
        return sid

    async def connect(self, url: str, token: str | None, *, path: str = "socket.io") -> None:
        """Connect over websocket with ``auth: {token}`` (raises ``ConnectionError``)."""
        auth = {"token": token} if token is not None else None
        await self.sio.connect(
            url, auth=auth, transports=["websocket"], socketio_path=path, wait_timeout=10
        )

    async def join(self, board_id: str, since_seq: int | None = None) -> dict[str, Any]:
        """``board:join`` and its ack."""
        payload: dict[str, Any] = {"boardId": board_id}
        if since_seq is not None:
            payload["sinceSeq"] = since_seq
        ack: dict[str, Any] = await self.sio.call("board:join", payload, timeout=15)
        return ack

    async def leave(self, board_id: str) -> dict[str, Any]:
        """``board:leave`` and its ack."""
        ack: dict[str, Any] = await self.sio.call("board:leave", {"boardId": board_id}, timeout=10)
        return ack

    def seqs(self, board_id: str) -> list[int | None]:
        """The seqs pushed for a board, in arrival order."""
        return [event["seq"] for event in self.events if event["boardId"] == board_id]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """The pushes of one event type."""
        return [event for event in self.events if event["type"] == event_type]

    async def wait_for_seq(self, board_id: str, seq: int, within: float = 10.0) -> None:
        """Until the push with ``seq`` for ``board_id`` has arrived."""

        async def arrived() -> bool:
            return seq in self.seqs(board_id)

        await wait_for(arrived, within=within, what=f"push of seq {seq} on {board_id}")

    async def close(self) -> None:
        """Disconnect (idempotent)."""
        if self.sio.connected:
            await self.sio.disconnect()


def realtime_settings(stand_ins_url: str, **overrides: Any) -> Settings:
    """Settings isolated from every other test (exchange, queue, channel, key prefix)."""
    values: dict[str, Any] = {
        **isolated_settings("rt"),
        "push_queue": unique("rt_push"),
        "socketio_channel": unique("rt_channel"),
        "redis_prefix": unique("rt") + ":",
        "board_url": stand_ins_url,
        "activity_url": stand_ins_url,
        "startup_timeout_seconds": 10,
        "gap_wait_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


class Harness:
    """Realtime replicas (sharing exchange, queue and channel), stand-ins, a recorder."""

    def __init__(
        self,
        settings: Settings,
        mint: TokenMint,
        stand_ins: StandIns,
        recorder: Recorder,
        connection: AbstractRobustConnection,
    ) -> None:
        self.settings = settings
        self.mint = mint
        self.stand_ins = stand_ins
        self.recorder = recorder
        self.connection = connection
        self.urls: list[str] = []
        self.servers: list[TestServer] = []
        self._clients: list[SocketClient] = []

    @property
    def url(self) -> str:
        """The first replica's base URL."""
        return self.urls[0]

    async def add_replica(self, **overrides: Any) -> TestServer:
        """Start another replica with the same shared names."""
        settings = self.settings.model_copy(update=overrides)
        server = TestServer(create_app(settings, token_keys=self.mint.key_source()))
        await server.start_server()
        self.servers.append(server)
        self.urls.append(str(server.make_url("")).rstrip("/"))
        return server

    async def stop_replica(self, server: TestServer) -> None:
        """Stop one replica (SIGTERM-like: sockets closed, consumer stopped)."""
        await server.close()
        index = self.servers.index(server)
        del self.servers[index], self.urls[index]

    def board(self, *members: str) -> str:
        """A new board with these members (as the stand-ins know it)."""
        board_id = unique("board")
        self.stand_ins.members[board_id] = set(members)
        return board_id

    async def client(self, user_id: str, *, url: str | None = None) -> SocketClient:
        """A connected socket of ``user_id``."""
        client = SocketClient()
        await client.connect(url or self.url, self.mint.token(user_id))
        self._clients.append(client)
        return client

    async def joined(self, user_id: str, board_id: str, *, url: str | None = None) -> SocketClient:
        """A socket of ``user_id`` that joined ``board_id``."""
        client = await self.client(user_id, url=url)
        ack = await client.join(board_id)
        assert ack["ok"] is True, ack
        return client

    async def pushed_seq(self, board_id: str) -> int:
        """The board's last pushed seq (the pusher's cursor in Redis)."""
        redis = make_redis(self.settings.redis_url)
        try:
            raw = await redis.get(f"{self.settings.redis_prefix}seq:{board_id}")
        finally:
            await redis.aclose()
        return int(raw) if raw is not None else 0

    async def wait_pushed(self, board_id: str, seq: int) -> None:
        """Until the pusher has pushed ``seq`` of the board."""

        async def pushed() -> bool:
            return await self.pushed_seq(board_id) >= seq

        await wait_for(pushed, what=f"seq {seq} of {board_id} pushed")

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        for server in list(self.servers):
            await server.close()


@asynccontextmanager
async def running_realtime(replicas: int = 1, **overrides: Any) -> AsyncIterator[Harness]:
    """Realtime replicas on their own names, the stand-ins, torn down afterwards."""
    mint = TokenMint("realtime-test-key")
    stand_ins = StandIns(mint)
    stand_in_server = TestServer(stand_ins.app())
    await stand_in_server.start_server()
    settings = realtime_settings(str(stand_in_server.make_url("")).rstrip("/"), **overrides)
    connection = await aio_pika.connect_robust(settings.rabbitmq_url)
    publisher = EventPublisher(connection, exchange=settings.events_exchange, watch_unrouted=False)
    await publisher.start()
    harness = Harness(settings, mint, stand_ins, Recorder(stand_ins, publisher), connection)
    try:
        for _ in range(replicas):
            await harness.add_replica()
        yield harness
    finally:
        await harness.close()
        await publisher.close()
        await delete_event_objects(
            connection,
            exchange=settings.events_exchange,
            queues=[settings.push_queue, f"{settings.push_queue}.dlq"],
        )
        await connection.close()
        await stand_in_server.close()
        redis = make_redis(settings.redis_url)
        try:
            keys = [key async for key in redis.scan_iter(f"{settings.redis_prefix}*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()
