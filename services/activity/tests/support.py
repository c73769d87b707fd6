"""Test support for the activity service (used by services/activity/tests): the service
running on real nx-27017 and RabbitMQ with its own exchange, tokens signed with a test key, a
stand-in board service answering ``GET /api/boards/{id}``, and helpers that feed the log the
way the other services do, by publishing real event envelopes to the exchange."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hintro_activity.app import ACTIVITY_LOG, create_app
from hintro_activity.config import Settings
from hintro_activity.repository import ActivityLog
from hintro_shared.authz import Role
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.mongo import MONGO_DB
from hintro_testkit.boards import FakeBoard
from hintro_testkit.harness import ServiceHarness, running_service
from hintro_testkit.infra import isolated_settings, unique, wait_for
from hintro_testkit.tokens import TokenMint


class Harness(ServiceHarness):
    """The running activity service plus the means to drive it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._recorded: list[EventEnvelope] = []

    @property
    def log(self) -> ActivityLog:
        return self.app[ACTIVITY_LOG]

    @property
    def db(self) -> Any:
        return self.app[MONGO_DB]

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
        board = FakeBoard(id=uuid.uuid4().hex, owner=owner, members={owner: Role.OWNER})
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
        board.members[user_id] = Role(role)
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
async def running_harness(**overrides: Any) -> AsyncIterator[Harness]:
    """The activity service on a fresh database, exchange and queues, torn down afterwards."""
    mint = TokenMint("activity-test-key")
    queue = unique("activity_test_log")

    def make_app(board_url: str) -> tuple[Settings, web.Application]:
        settings = Settings(
            **{
                **isolated_settings("activity"),
                "activity_queue": queue,
                "board_url": board_url,
                "board_timeout_seconds": 1.0,
                **overrides,
            }
        )
        return settings, create_app(settings, token_keys=mint.key_source())

    service = running_service(make_app, probe_keys=("activity.recorded",), consumer_queues=[queue])
    async with service as (client, board_service, publisher, probe):
        yield Harness(client, board_service, publisher, probe, mint)
