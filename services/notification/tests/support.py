"""Test support for the notification service (used by services/notification/tests): the
service running on real nx-27017 and RabbitMQ with its own exchange, tokens signed with a test
key, a stand-in board service, a real SMTP server (aiosmtpd) whose transcript the tests read,
and helpers that feed it the way the other services do, by publishing real event envelopes."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hintro_devtools.mailsink import MailSink
from hintro_notification.app import create_app
from hintro_notification.config import Settings
from hintro_notification.routes import NOTIFICATION_SERVICE
from hintro_notification.service import NotificationService
from hintro_shared.authz import Role
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_testkit.boards import FakeBoard
from hintro_testkit.harness import ServiceHarness, running_service
from hintro_testkit.infra import isolated_settings, unique, wait_for


class Harness(ServiceHarness):
    """The running notification service plus the means to drive it."""

    mail: MailSink

    @property
    def service(self) -> NotificationService:
        return self.app[NOTIFICATION_SERVICE]

    async def call(
        self, method: str, path: str, user: str | None, body: Any = None, **params: Any
    ) -> tuple[int, Any]:
        """``method path`` as ``user``; returns (status, JSON body or None)."""
        headers = self.auth(user) if user else {}
        query = {key: str(value) for key, value in params.items()}
        async with self.client.request(
            method, path, headers=headers, params=query, json=body
        ) as response:
            text = await response.text()
            return response.status, (None if not text else await response.json(content_type=None))

    async def notifications(self, user: str, **params: Any) -> Any:
        status, body = await self.call("GET", "/api/notifications", user, **params)
        assert status == 200, body
        return body

    async def wait_notifications(self, user: str, count: int) -> list[dict[str, Any]]:
        """Wait until the user has at least ``count`` notifications; returns them."""

        async def enough() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (await self.notifications(user))["items"]
            return items if len(items) >= count else None

        return await wait_for(enough, within=15, what=f"{count} notifications of {user}")

    # --- feeding events -----------------------------------------------------------------------

    def event(
        self, event_type: str, board_id: str | None, actor: str | None, **data: Any
    ) -> EventEnvelope:
        source = {"user": "auth", "task": "task", "webhook": "webhook"}.get(
            event_type.split(".")[0], "board"
        )
        return new_event(
            event_type, source=f"hintro/{source}", data=data, board_id=board_id, actor_id=actor
        )

    async def send(self, *events: EventEnvelope) -> None:
        for event in events:
            await self.publisher.publish(event)

    async def user(self, name: str) -> str:
        """A registered user called ``name`` (e-mail ``<id>@example.test``)."""
        user_id = unique("user")
        await self.send(
            self.event(
                "user.registered",
                None,
                None,
                userId=user_id,
                email=f"{user_id}@example.test",
                name=name,
            )
        )
        await wait_for(
            lambda: self.db["users"].find_one({"_id": user_id}), within=10, what=f"user {name}"
        )
        return user_id

    async def board(self, owner: str, *members: str, title: str = "Roadmap") -> FakeBoard:
        """A board with ``members`` as editors, known to the service and the stand-in."""
        board = FakeBoard(id=uuid.uuid4().hex, owner=owner, members={owner: Role.OWNER})
        for member in members:
            board.members[member] = Role.EDITOR
        self.board_service.boards[board.id] = board
        await self.send(
            self.event(
                "board.created",
                board.id,
                owner,
                boardId=board.id,
                title=title,
                ownerId=owner,
                members=[{"userId": u, "role": r.value} for u, r in board.members.items()],
                createdAt=datetime.now(UTC),
                version=1,
            )
        )
        await wait_for(
            lambda: self.db["titles"].find_one({"_id": f"board:{board.id}"}),
            within=10,
            what="the board's title",
        )
        return board

    async def task(
        self, board: FakeBoard, actor: str, title: str, *, due: datetime | None = None
    ) -> str:
        """A task created on the board (list ``l1``), known to the service."""
        task_id = uuid.uuid4().hex
        await self.send(
            self.event(
                "task.created",
                board.id,
                actor,
                taskId=task_id,
                boardId=board.id,
                listId="l1",
                title=title,
                description="",
                position="a0",
                assigneeIds=[],
                labelIds=[],
                dueDate=due,
                createdBy=actor,
                createdAt=datetime.now(UTC),
                version=1,
            )
        )
        await wait_for(lambda: self.db["tasks"].find_one({"_id": task_id}), what="the task")
        return task_id


@contextlib.asynccontextmanager
async def running_harness(**overrides: Any) -> AsyncIterator[Harness]:
    """The notification service on a fresh database, exchange and queues, and an SMTP sink."""
    mint_key = "notification-test-key"
    queue = unique("notification_test")
    from hintro_testkit.tokens import TokenMint

    mint = TokenMint(mint_key)
    with MailSink() as mail:

        def make_app(board_url: str) -> tuple[Settings, web.Application]:
            settings = Settings(
                **{
                    **isolated_settings("notification"),
                    "notification_queue": queue,
                    "board_url": board_url,
                    "board_timeout_seconds": 1.0,
                    "smtp_host": mail.host,
                    "smtp_port": mail.port,
                    "mail_poll_seconds": 0.2,
                    "reminder_poll_seconds": 3600,
                    **overrides,
                }
            )
            return settings, create_app(settings, token_keys=mint.key_source())

        service = running_service(
            make_app, probe_keys=("notification.created",), consumer_queues=[queue]
        )
        async with service as (client, board_service, publisher, probe):
            harness = Harness(client, board_service, publisher, probe, mint)
            harness.mail = mail
            yield harness
