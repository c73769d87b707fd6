"""The shared board view: which projection write each board event makes, and access decisions
for any caller shape. The Mongo side is pinned by the task and activity services' conformance
tests, which run it on the configured server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hintro_shared.authz import Action, Role
from hintro_shared.boardview import BoardAccess, BoardSnapshot, ListRef, apply_board_event
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import new_event
from hintro_shared.refusals import NotFound


class RecordingWriter:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def set_member(self, board_id: str, user_id: str, role: Role | None, v: int) -> bool:
        self.calls.append(("member", board_id, user_id, role, v))
        return True

    async def touch_board(self, board_id: str, v: int) -> None:
        self.calls.append(("touch", board_id, v))

    async def delete_board(self, board_id: str, v: int) -> None:
        self.calls.append(("delete_board", board_id, v))

    async def upsert_list(
        self, list_id: str, board_id: str, v: int, position: str | None = None
    ) -> bool:
        self.calls.append(("list", list_id, board_id, v, position))
        return True

    async def delete_list(self, list_id: str, board_id: str, v: int) -> None:
        self.calls.append(("delete_list", list_id, board_id, v))

    async def set_list_archived(self, list_id: str, board_id: str, archived: bool, v: int) -> bool:
        self.calls.append(("archived", list_id, board_id, archived, v))
        return True


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (
            "board.created",
            {
                "boardId": "b",
                "title": "T",
                "ownerId": "o",
                "members": [{"userId": "o", "role": "owner"}],
                "createdAt": "2026-01-01T00:00:00Z",
                "version": 1,
            },
            [("member", "b", "o", Role.OWNER, 1)],
        ),
        ("board.updated", {"boardId": "b", "version": 2}, [("touch", "b", 2)]),
        ("board.deleted", {"boardId": "b", "version": 3}, [("delete_board", "b", 3)]),
        (
            "board.member_removed",
            {"boardId": "b", "userId": "u", "role": "editor", "version": 4},
            [("member", "b", "u", None, 4)],
        ),
        (
            "list.updated",
            {"listId": "l", "boardId": "b", "version": 2, "position": "a1"},
            [("list", "l", "b", 2, "a1")],
        ),
        (
            "list.deleted",
            {"listId": "l", "boardId": "b", "version": 3},
            [("delete_list", "l", "b", 3)],
        ),
        (
            "task.deleted",
            {"taskId": "t", "boardId": "b", "listId": "l", "version": 2},
            [],
        ),
        (
            "list.archived",
            {"listId": "l", "boardId": "b", "version": 4, "archivedAt": "2026-01-01T00:00:00Z"},
            [("archived", "l", "b", True, 4)],
        ),
        (
            "list.restored",
            {
                "listId": "l",
                "boardId": "b",
                "version": 5,
                "title": "T",
                "position": "a1",
                "createdAt": "2026-01-01T00:00:00Z",
            },
            [("list", "l", "b", 5, "a1"), ("archived", "l", "b", False, 5)],
        ),
        (
            "board.archived",
            {"boardId": "b", "version": 6, "archivedAt": "2026-01-01T00:00:00Z"},
            [],
        ),
    ],
)
async def test_each_board_event_makes_its_guarded_write(
    event_type: str, data: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    writer = RecordingWriter()
    parsed = await apply_board_event(writer, new_event(event_type, source="t", data=data))
    assert writer.calls == expected
    assert isinstance(parsed, ev.EventData)


@dataclass(frozen=True)
class SomeCaller:
    user_id: str
    authorization: str = "Bearer x"
    request_id: str | None = None


class Projection:
    def __init__(self, roles: dict[str, Role]) -> None:
        self.roles = roles
        self.snapshots: list[BoardSnapshot] = []

    async def role_of(self, board_id: str, user_id: str) -> Role | None:
        return self.roles.get(user_id)

    async def get_list(self, list_id: str) -> ListRef | None:
        return None

    async def board_lists(self, board_id: str) -> list[ListRef]:
        return []

    async def apply_snapshot(self, snapshot: BoardSnapshot) -> None:
        self.snapshots.append(snapshot)


class Directory:
    def __init__(self, snapshot: BoardSnapshot | None) -> None:
        self.snapshot = snapshot
        self.calls = 0

    async def fetch_board(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> BoardSnapshot | None:
        self.calls += 1
        return self.snapshot


async def test_access_asks_the_board_service_only_on_a_denial() -> None:
    fresh = BoardSnapshot("b", 5, {"new": Role.VIEWER})
    projection, directory = Projection({"old": Role.EDITOR}), Directory(fresh)
    assert (
        await BoardAccess("b", SomeCaller("old"), projection, directory).authorize(Action.READ)
        == Role.EDITOR
    )
    assert directory.calls == 0
    assert (
        await BoardAccess("b", SomeCaller("new"), projection, directory).authorize(Action.READ)
        == Role.VIEWER
    )
    assert directory.calls == 1
    assert projection.snapshots == [fresh]
    with pytest.raises(NotFound):
        await BoardAccess("b", SomeCaller("stranger"), projection, directory).authorize(Action.READ)
