"""Test support for the task service (used by services/task/tests): the service running on
real nx-27017 and RabbitMQ with its own exchange, tokens signed with a test key, a stand-in
board service (an aiohttp server answering ``GET /api/boards/{id}``), and helpers that create
boards the way the board service does, by publishing its events."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.ordering import key_between
from hintro_task.app import create_app
from hintro_task.config import Settings
from hintro_testkit.boards import FakeBoard, FakeList
from hintro_testkit.harness import ServiceHarness, running_service
from hintro_testkit.infra import isolated_settings, unique, wait_for
from hintro_testkit.tokens import TokenMint


class Harness(ServiceHarness):
    """The running task service plus the means to drive it."""

    @property
    def projection(self) -> BoardProjection:
        return BoardProjection(self.db)

    @property
    def tasks(self) -> Any:
        return self.db["tasks"]

    async def request(
        self, method: str, path: str, user: str, json: Any = None, **headers: str
    ) -> tuple[int, Any]:
        """One call as ``user``; returns (status, parsed JSON body or None)."""
        kwargs: dict[str, Any] = {"headers": self.auth(user, **headers)}
        if json is not None:
            kwargs["json"] = json
        async with self.client.request(method, path, **kwargs) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            return response.status, body

    async def assert_unchanged(self, task: dict[str, Any], user: str) -> None:
        """The task reads back exactly as ``task`` (a failed request changed nothing)."""
        status, now = await self.request("GET", f"/api/tasks/{task['id']}", user)
        assert status == 200
        assert now == task

    # --- the board side -----------------------------------------------------------------------

    async def publish(self, event_type: str, board_id: str, **data: Any) -> EventEnvelope:
        event = new_event(
            event_type, source="hintro/board", data=data, board_id=board_id, actor_id="someone"
        )
        await self.publisher.publish(event)
        return event

    async def board(
        self,
        owner: str | None = None,
        *,
        members: dict[str, Role] | None = None,
        lists: int = 2,
        via_events: bool = True,
    ) -> FakeBoard:
        """A board with ``members`` and ``lists`` known to the stand-in board service and, with
        ``via_events``, announced by events and awaited in the projection."""
        owner = owner or unique("owner")
        board = FakeBoard(id=uuid.uuid4().hex, owner=owner, members={owner: Role.OWNER})
        self.board_service.boards[board.id] = board
        if via_events:
            await self.publish(
                "board.created",
                board.id,
                boardId=board.id,
                title="Board",
                ownerId=owner,
                members=[{"userId": owner, "role": "owner"}],
                createdAt="2026-01-01T00:00:00Z",
                version=1,
            )
        for user_id, role in (members or {}).items():
            await self.add_member(board, user_id, role, via_events=via_events)
        for _ in range(lists):
            await self.add_list(board, via_events=via_events)
        if via_events:
            await self.settled(board)
        return board

    async def add_member(
        self, board: FakeBoard, user_id: str, role: Role, *, via_events: bool = True
    ) -> None:
        board.version += 1
        board.members[user_id] = role
        if via_events:
            await self.publish(
                "board.member_added",
                board.id,
                boardId=board.id,
                userId=user_id,
                role=role.value,
                version=board.version,
            )

    async def remove_member(self, board: FakeBoard, user_id: str) -> None:
        board.version += 1
        role = board.members.pop(user_id)
        await self.publish(
            "board.member_removed",
            board.id,
            boardId=board.id,
            userId=user_id,
            role=role.value,
            version=board.version,
        )

    async def add_list(self, board: FakeBoard, *, via_events: bool = True) -> FakeList:
        last = board.lists[-1].position if board.lists else None
        item = FakeList(id=uuid.uuid4().hex, position=key_between(last, None))
        board.lists.append(item)
        if via_events:
            await self.publish(
                "list.created",
                board.id,
                listId=item.id,
                boardId=board.id,
                title="List",
                position=item.position,
                createdAt="2026-01-01T00:00:00Z",
                version=1,
            )
        return item

    async def add_label(
        self, board: FakeBoard, name: str = "Bug", color: str = "red", *, via_events: bool = True
    ) -> str:
        """A new label on the board (announced by ``board.label_created`` unless not
        ``via_events``, then only the stand-in board service knows it); its id."""
        label_id = uuid.uuid4().hex
        board.version += 1
        board.labels[label_id] = (name, color)
        if via_events:
            await self.publish(
                "board.label_created",
                board.id,
                boardId=board.id,
                labelId=label_id,
                name=name,
                color=color,
                version=board.version,
            )

            async def known() -> bool:
                return bool(await self.projection.get_labels([label_id]))

            await wait_for(known, within=10, what=f"label {label_id} in the projection")
        return label_id

    async def delete_label(self, board: FakeBoard, label_id: str) -> EventEnvelope:
        board.version += 1
        name, _ = board.labels.pop(label_id)
        return await self.publish(
            "board.label_deleted",
            board.id,
            boardId=board.id,
            labelId=label_id,
            version=board.version,
            name=name,
        )

    async def settled(self, board: FakeBoard) -> None:
        """Wait until the projection holds the board's members and lists."""
        projection = self.projection

        async def caught_up() -> bool:
            for user_id, role in board.members.items():
                if await projection.role_of(board.id, user_id) != role:
                    return False
            known = {ref.id for ref in await projection.board_lists(board.id)}
            return known >= set(board.list_ids)

        await wait_for(caught_up, within=10, what=f"projection of board {board.id}")

    async def create_task(
        self, board: FakeBoard, user: str, list_index: int = 0, **body: Any
    ) -> Any:
        status, task = await self.request(
            "POST",
            f"/api/boards/{board.id}/tasks",
            user,
            {"listId": board.lists[list_index].id, "title": "Task", **body},
        )
        assert status == 201, task
        return task

    async def events(self, task_id: str | None = None) -> list[EventEnvelope]:
        """Every task event published so far (optionally only about ``task_id``)."""
        taken = await self.probe.envelopes()
        self._seen = [*getattr(self, "_seen", []), *taken]
        if task_id is None:
            return list(self._seen)
        return [event for event in self._seen if event.data.get("taskId") == task_id]

    async def wait_events(self, task_id: str, count: int) -> list[EventEnvelope]:
        async def enough() -> list[EventEnvelope] | None:
            found = await self.events(task_id)
            return found if len(found) >= count else None

        return await wait_for(enough, within=10, what=f"{count} events of task {task_id}")


@contextlib.asynccontextmanager
async def running_harness() -> AsyncIterator[Harness]:
    """The task service on a fresh database, exchange and queues, torn down afterwards."""
    mint = TokenMint("task-test-key")
    queue = unique("task_test_projection")
    search_queue = unique("task_test_search")

    def make_app(board_url: str) -> tuple[Settings, web.Application]:
        settings = Settings(
            **isolated_settings("task"),
            projection_queue=queue,
            search_queue=search_queue,
            board_url=board_url,
            board_timeout_seconds=1.0,
        )
        return settings, create_app(settings, token_keys=mint.key_source())

    service = running_service(
        make_app, probe_keys=("task.*", "comment.*"), consumer_queues=[queue, search_queue]
    )
    async with service as (client, board_service, publisher, probe):
        yield Harness(client, board_service, publisher, probe, mint)
