"""Unit tests without infrastructure: the access rules (projection first, board service only on
a denial or miss), the retry on a position collision, event data that fits the catalogue, and
the schemas."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hintro_shared.authz import Action, Role
from hintro_shared.boardview import LabelRef, parse_board
from hintro_shared.events.envelope import new_event
from hintro_shared.openapi import build_openapi
from hintro_shared.refusals import DomainError, Forbidden, NotFound
from hintro_task.access import BoardAccess, Caller
from hintro_task.domain import (
    BoardSnapshot,
    EventContext,
    ListRef,
    PositionTaken,
    Task,
    TaskEvent,
    assignment_event,
    created_event,
    deleted_event,
    moved_event,
    updated_event,
)
from hintro_task.routes import OPERATIONS
from hintro_task.schemas import CreateTaskBody, UpdateTaskBody
from hintro_task.service import TaskService

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CALLER = Caller(user_id="u1", authorization="Bearer t", request_id="r1")


class FakeProjection:
    def __init__(self, roles: dict[str, Role] | None = None, lists: list[ListRef] | None = None):
        self.roles = roles or {}
        self.lists = {ref.id: ref for ref in lists or []}
        self.snapshots: list[BoardSnapshot] = []

    async def role_of(self, board_id: str, user_id: str) -> Role | None:
        return self.roles.get(user_id)

    async def get_list(self, list_id: str) -> ListRef | None:
        return self.lists.get(list_id)

    async def board_lists(self, board_id: str) -> list[ListRef]:
        return sorted(self.lists.values(), key=lambda ref: ref.position)

    async def apply_snapshot(self, snapshot: BoardSnapshot) -> None:
        self.snapshots.append(snapshot)

    async def get_labels(self, label_ids: list[str]) -> list[LabelRef]:
        return []


class FakeDirectory:
    def __init__(self, snapshot: BoardSnapshot | None) -> None:
        self.snapshot = snapshot
        self.calls = 0

    async def fetch_board(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> BoardSnapshot | None:
        self.calls += 1
        assert authorization == CALLER.authorization
        return self.snapshot


def snapshot(**members: Role) -> BoardSnapshot:
    return BoardSnapshot("b1", 5, dict(members), (ListRef("l1", "b1", "a0", 1),))


async def test_projection_grant_needs_no_board_service() -> None:
    directory = FakeDirectory(None)
    access = BoardAccess("b1", CALLER, FakeProjection({"u1": Role.EDITOR}), directory)
    assert await access.authorize(Action.EDIT_TASKS) == Role.EDITOR
    assert directory.calls == 0


async def test_denial_asks_the_board_service_once_and_keeps_its_answer() -> None:
    projection = FakeProjection()
    directory = FakeDirectory(snapshot(u1=Role.EDITOR, u2=Role.VIEWER))
    access = BoardAccess("b1", CALLER, projection, directory)
    assert await access.authorize(Action.EDIT_TASKS) == Role.EDITOR
    assert await access.is_member("u2")
    assert await access.list_on_board("l1") is not None
    assert directory.calls == 1
    assert projection.snapshots == [directory.snapshot]


@pytest.mark.parametrize(
    ("fresh", "refusal"),
    [(None, NotFound), (snapshot(u1=Role.VIEWER), Forbidden), (snapshot(), NotFound)],
)
async def test_board_service_answer_decides_a_denial(
    fresh: BoardSnapshot | None, refusal: type[DomainError]
) -> None:
    access = BoardAccess("b1", CALLER, FakeProjection({"u1": Role.VIEWER}), FakeDirectory(fresh))
    with pytest.raises(refusal):
        await access.authorize(Action.EDIT_TASKS)


async def test_deleted_or_foreign_lists_are_refused_without_asking() -> None:
    lists = [ListRef("gone", "b1", "a0", deleted=True), ListRef("other", "b2", "a0")]
    directory = FakeDirectory(snapshot(u1=Role.OWNER))
    access = BoardAccess("b1", CALLER, FakeProjection(lists=lists), directory)
    assert await access.list_on_board("gone") is None
    assert await access.list_on_board("other") is None
    assert directory.calls == 0


def _task(**overrides: object) -> Task:
    base = Task(
        id="t1",
        board_id="b1",
        list_id="l1",
        title="Title",
        description="",
        position="a0",
        assignee_ids=("u1",),
        label_ids=("x",),
        due_date=AT,
        created_by="u1",
        created_at=AT,
        updated_at=AT,
        version=1,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


class CollidingStore:
    """A task store whose first insert collides with another task's position."""

    def __init__(self) -> None:
        self.collisions = 1
        self.inserted: list[Task] = []

    async def get(self, task_id: str) -> Task | None:
        return None

    async def last_position(self, list_id: str, *, exclude: str | None = None) -> str | None:
        return "a0"

    async def insert(self, task: Task, event: TaskEvent, ctx: EventContext) -> None:
        if self.collisions:
            self.collisions -= 1
            raise PositionTaken(task.position)
        self.inserted.append(task)


async def test_create_retries_with_a_new_position_after_a_collision() -> None:
    store = CollidingStore()
    projection = FakeProjection({"u1": Role.EDITOR}, [ListRef("l1", "b1", "a0")])
    service = TaskService(store, projection, FakeDirectory(None))  # type: ignore[arg-type]
    task = await service.create_task(CALLER, "b1", {"listId": "l1", "title": "x"})
    assert store.inserted == [task]
    assert task.position > "a0"


@pytest.mark.parametrize(
    "event",
    [
        created_event(_task()),
        created_event(_task(due_date=None, assignee_ids=(), label_ids=(), due_complete=True)),
        updated_event(
            _task(version=2), {"title": "New", "dueDate": None, "labelIds": [], "dueComplete": True}
        ),
        moved_event(_task(list_id="l2", position="a1", version=3), "l1"),
        assignment_event(_task(version=4), "u2", assigned=True),
        assignment_event(_task(version=5), "u2", assigned=False),
        deleted_event(_task(version=6)),
    ],
    ids=lambda event: event.type,
)
def test_event_data_fits_the_catalogue(event: TaskEvent) -> None:
    envelope = new_event(event.type, source="hintro/task", data=event.data, board_id="b1")
    assert envelope.parsed_data() is not None
    assert envelope.data["taskId"] == "t1"


def test_board_from_the_board_service_parses_members_and_lists() -> None:
    parsed = parse_board(
        {
            "id": "b1",
            "version": 7,
            "members": [{"userId": "u1", "role": "owner"}, {"userId": "u2", "role": "viewer"}],
            "lists": [{"id": "l1", "boardId": "b1", "position": "a0", "version": 2}],
        }
    )
    assert parsed == BoardSnapshot(
        "b1", 7, {"u1": Role.OWNER, "u2": Role.VIEWER}, (ListRef("l1", "b1", "a0", 2),)
    )


def test_update_body_reports_only_sent_fields_by_public_name() -> None:
    body = UpdateTaskBody.model_validate({"dueDate": None, "title": " T "})
    assert body.requested() == {"title": "T", "dueDate": None}
    with pytest.raises(ValidationError):
        UpdateTaskBody.model_validate({"title": None})
    with pytest.raises(ValidationError):
        UpdateTaskBody.model_validate({"due_date": None})


def test_create_body_is_camel_case_and_strict() -> None:
    body = CreateTaskBody.model_validate({"listId": "l1", "title": "t", "afterId": "a"})
    assert (body.list_id, body.after_id) == ("l1", "a")
    with pytest.raises(ValidationError):
        CreateTaskBody.model_validate({"list_id": "l1", "title": "t"})


def test_openapi_documents_every_task_route_with_camel_case_schemas() -> None:
    doc = build_openapi(OPERATIONS, title="Hintro", version="test")
    routes = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes == {
        ("/api/boards/{boardId}/tasks", "get"),
        ("/api/boards/{boardId}/tasks", "post"),
        ("/api/tasks/{taskId}", "get"),
        ("/api/tasks/{taskId}", "patch"),
        ("/api/tasks/{taskId}", "delete"),
        ("/api/tasks/{taskId}/move", "post"),
        ("/api/tasks/{taskId}/assignees/{userId}", "put"),
        ("/api/tasks/{taskId}/assignees/{userId}", "delete"),
        ("/api/search", "get"),
        ("/api/tasks/{taskId}/comments", "get"),
        ("/api/tasks/{taskId}/comments", "post"),
        ("/api/comments/{commentId}", "patch"),
        ("/api/comments/{commentId}", "delete"),
        ("/api/tasks/{taskId}/checklists", "get"),
        ("/api/tasks/{taskId}/checklists", "post"),
        ("/api/tasks/{taskId}/checklists/{checklistId}", "patch"),
        ("/api/tasks/{taskId}/checklists/{checklistId}", "delete"),
        ("/api/tasks/{taskId}/checklists/{checklistId}/items", "post"),
        ("/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}", "patch"),
        ("/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}/move", "post"),
        ("/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}", "delete"),
        ("/api/tasks/{taskId}/archive", "post"),
        ("/api/tasks/{taskId}/restore", "post"),
    }
    create = doc["components"]["schemas"]["CreateTaskBody"]
    assert create["additionalProperties"] is False
    assert {"listId", "assigneeIds", "dueDate", "afterId"} <= set(create["properties"])
    listing = doc["paths"]["/api/boards/{boardId}/tasks"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "boardId",
        "listId",
        "limit",
        "cursor",
        "all",
        "archived",
        "If-None-Match",
        # the board filter
        "q",
        "labelIds",
        "assignee",
        "due",
    }
    assert "dueDate" in doc["components"]["schemas"]["TaskOut"]["properties"]
