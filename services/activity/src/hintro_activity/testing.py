"""Test support for the activity service (used by services/activity/tests): the service
running on real nx-27017 and RabbitMQ with its own exchange, tokens signed with a test key, a
stand-in board service answering ``GET /api/boards/{id}``, and helpers that feed the log the
way the other services do, by publishing real event envelopes to the exchange."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from aio_pika.abc import AbstractRobustConnection
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from hintro_activity.app import ACTIVITY_LOG, create_app
from hintro_activity.config import Settings
from hintro_activity.repository import ActivityLog
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.events.testing import Probe, delete_event_objects, open_probe
from hintro_shared.jsonutil import dumps_bytes
from hintro_shared.mongo import MONGO_DB
from hintro_shared.testing import mongo_url, rabbitmq_url, unique, wait_for
from hintro_shared.tokens import StaticKeySource

ISSUER = "hintro-auth"
AUDIENCE = "hintro"
KID = "activity-test-key"
RETRY_DELAYS = (0.5, 2.0, 5.0, 10.0)


@dataclass
class FakeBoard:
    """A board as the stand-in board service holds it (the authoritative state)."""

    id: str
    owner: str
    version: int = 1
    members: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": "Board",
            "description": "",
            "ownerId": self.owner,
            "members": [{"userId": u, "role": r} for u, r in self.members.items()],
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "version": self.version,
            "lists": [],
        }


class FakeBoardService:
    """Answers ``GET /api/boards/{boardId}`` like the board service: 404 to non-members."""

    def __init__(self) -> None:
        self.boards: dict[str, FakeBoard] = {}
        self.calls = 0

    async def get_board(self, request: web.Request) -> web.Response:
        self.calls += 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = jwt.decode(token, options={"verify_signature": False})["sub"]
        board = self.boards.get(request.match_info["boardId"])
        if board is None or user not in board.members:
            return web.json_response({"status": 404}, status=404)
        return web.Response(body=dumps_bytes(board.to_json()), content_type="application/json")


class Harness:
    """The running activity service plus the means to drive it."""

    def __init__(
        self,
        client: TestClient[web.Request, web.Application],
        board_service: FakeBoardService,
        publisher: EventPublisher,
        probe: Probe,
        key: ec.EllipticCurvePrivateKey,
    ) -> None:
        self.client = client
        self.board_service = board_service
        self.publisher = publisher
        self.probe = probe
        self._key = key
        self._recorded: list[EventEnvelope] = []

    @property
    def log(self) -> ActivityLog:
        return self.client.app[ACTIVITY_LOG]

    @property
    def db(self) -> Any:
        return self.client.app[MONGO_DB]

    def token(self, user_id: str) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 900,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": KID})

    async def get(self, path: str, user: str | None, **params: Any) -> tuple[int, Any]:
        """``GET path`` as ``user`` (no token when ``None``); returns (status, JSON body)."""
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        query = {key: str(value) for key, value in params.items()}
        async with self.client.get(path, headers=headers, params=query) as response:
            return response.status, await response.json(content_type=None)

    async def activity(self, board_id: str, user: str, **params: Any) -> Any:
        status, body = await self.get(f"/api/boards/{board_id}/activity", user, **params)
        assert status == 200, body
        return body

    # --- feeding events -----------------------------------------------------------------------

    def event(
        self,
        event_type: str,
        board_id: str | None,
        actor: str | None,
        *,
        socket_id: str | None = None,
        **data: Any,
    ) -> EventEnvelope:
        source = {"user": "auth", "task": "task"}.get(event_type.split(".")[0], "board")
        return new_event(
            event_type,
            source=f"hintro/{source}",
            data=data,
            board_id=board_id,
            actor_id=actor,
            origin_socket_id=socket_id,
        )

    async def send(self, *events: EventEnvelope) -> None:
        for event in events:
            await self.publisher.publish(event)

    async def user(self, name: str) -> str:
        """A registered user called ``name``; returns its id once the service knows it."""
        user_id = unique("user")
        await self.send(
            self.event(
                "user.registered", None, None, userId=user_id, email=f"{user_id}@x.io", name=name
            )
        )

        async def known() -> bool:
            return await self.db["users"].find_one({"_id": user_id}) is not None

        await wait_for(known, within=10, what=f"user {name}")
        return user_id

    async def board(self, owner: str, title: str = "Board") -> FakeBoard:
        """A board created through ``board.created`` (seq 1), known to the stand-in service."""
        board = FakeBoard(id=uuid.uuid4().hex, owner=owner, members={owner: "owner"})
        self.board_service.boards[board.id] = board
        await self.send(
            self.event(
                "board.created",
                board.id,
                owner,
                boardId=board.id,
                title=title,
                ownerId=owner,
                members=[{"userId": owner, "role": "owner"}],
                createdAt=datetime.now(UTC),
                version=1,
            )
        )
        await self.wait_seq(board.id, 1)
        return board

    def member_added(self, board: FakeBoard, actor: str, user_id: str, role: str) -> EventEnvelope:
        board.version += 1
        board.members[user_id] = role
        return self.event(
            "board.member_added",
            board.id,
            actor,
            boardId=board.id,
            userId=user_id,
            role=role,
            version=board.version,
        )

    def board_updated(self, board: FakeBoard, actor: str, **changes: Any) -> EventEnvelope:
        board.version += 1
        return self.event(
            "board.updated", board.id, actor, boardId=board.id, version=board.version, **changes
        )

    async def wait_seq(self, board_id: str, seq: int) -> None:
        """Wait until entries 1..seq of the board are recorded."""

        async def reached() -> bool:
            return await self.log.head(board_id) >= seq

        await wait_for(reached, within=20, what=f"seq {seq} of board {board_id}")

    async def entries(self, board_id: str) -> list[dict[str, Any]]:
        """Every entry document of the board, by seq."""
        cursor = self.db["entries"].find({"boardId": board_id}).sort("seq", 1)
        return [doc async for doc in cursor]

    async def recorded_events(self, board_id: str) -> list[EventEnvelope]:
        """``activity.recorded`` events of the board published so far."""
        self._recorded += await self.probe.envelopes()
        return [event for event in self._recorded if event.board_id == board_id]


@contextlib.asynccontextmanager
async def running_harness(
    rabbit: AbstractRobustConnection, **overrides: Any
) -> AsyncIterator[Harness]:
    """The activity service on a fresh database, exchange and queues, torn down afterwards."""
    signing_key = ec.generate_private_key(ec.SECP256R1())
    board_service = FakeBoardService()
    board_app = web.Application()
    board_app.router.add_get("/api/boards/{boardId}", board_service.get_board)
    async with TestServer(board_app) as board_server:
        exchange = unique("activity_test_events")
        queue = unique("activity_test_log")
        settings = Settings(
            environment="test",
            mongo_url=mongo_url(),
            mongo_db=unique("activity_test"),
            rabbitmq_url=rabbitmq_url(),
            events_exchange=exchange,
            activity_queue=queue,
            board_url=str(board_server.make_url("")),
            board_timeout_seconds=1.0,
            **overrides,
        )
        public = {
            **ECAlgorithm.to_jwk(signing_key.public_key(), as_dict=True),
            "kid": KID,
            "alg": "ES256",
            "use": "sig",
        }
        app = create_app(settings, token_keys=StaticKeySource({"keys": [public]}))
        publisher = EventPublisher(rabbit, exchange=exchange)
        await publisher.start()
        channel = await rabbit.channel()
        probe_name = unique("activity_test_probe")
        probe = await open_probe(channel, exchange, probe_name, ("activity.recorded",))
        try:
            async with TestClient(TestServer(app)) as client:
                try:
                    yield Harness(client, board_service, publisher, probe, signing_key)
                finally:
                    await app[MONGO_DB].client.drop_database(settings.database_name)
        finally:
            await publisher.close()
            await channel.close()
            await delete_event_objects(
                rabbit,
                exchange=exchange,
                queues=[probe_name],
                consumer_queues=[queue],
                retry_delays=RETRY_DELAYS,
            )
