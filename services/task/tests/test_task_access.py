"""Who may do what on tasks, through HTTP: non-members get 404 on every route, viewers 403 on
every write (and may read), editors may do everything, and no token or a forged one is 401."""

from __future__ import annotations

from typing import Any

import pytest

from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
async def board(harness: Harness) -> FakeBoard:
    return await harness.board(
        unique("owner"), members={unique("editor"): Role.EDITOR, unique("viewer"): Role.VIEWER}
    )


def _every_route(board: FakeBoard, task: dict[str, Any], user: str) -> list[tuple[str, str, Any]]:
    tid = task["id"]
    return [
        ("GET", f"/api/boards/{board.id}/tasks", None),
        ("POST", f"/api/boards/{board.id}/tasks", {"listId": board.lists[0].id, "title": "x"}),
        ("GET", f"/api/tasks/{tid}", None),
        ("PATCH", f"/api/tasks/{tid}", {"title": "x"}),
        ("POST", f"/api/tasks/{tid}/move", {"listId": board.lists[1].id}),
        ("PUT", f"/api/tasks/{tid}/assignees/{user}", None),
        ("DELETE", f"/api/tasks/{tid}/assignees/{user}", None),
        ("POST", f"/api/tasks/{tid}/archive", None),
        ("GET", f"/api/boards/{board.id}/tasks?archived=true", None),
        ("POST", f"/api/tasks/{tid}/restore", None),
        ("POST", f"/api/tasks/{tid}/archive", None),
        ("DELETE", f"/api/tasks/{tid}", None),
    ]


async def test_non_members_get_404_on_every_route(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(board, board.owner)
    stranger = unique("stranger")
    for method, path, body in _every_route(board, task, board.owner):
        status, problem = await harness.request(method, path, stranger, body)
        assert status == 404, (method, path)
        assert problem["status"] == 404
    await harness.assert_unchanged(task, board.owner)


async def test_viewers_get_403_on_every_write_and_may_read(
    harness: Harness, board: FakeBoard
) -> None:
    task = await harness.create_task(board, board.owner)
    viewer = board.member_with(Role.VIEWER)
    for method, path, body in _every_route(board, task, board.owner):
        status, _ = await harness.request(method, path, viewer, body)
        assert status == (200 if method == "GET" else 403), (method, path)
    await harness.assert_unchanged(task, viewer)


async def test_editors_may_do_every_write(harness: Harness, board: FakeBoard) -> None:
    editor = board.member_with(Role.EDITOR)
    task = await harness.create_task(board, editor)
    expected = [200, 201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 204]
    for (method, path, body), status_wanted in zip(
        _every_route(board, task, editor), expected, strict=True
    ):
        status, _ = await harness.request(method, path, editor, body)
        assert status == status_wanted, (method, path)


async def test_missing_or_forged_token_is_401(harness: Harness, board: FakeBoard) -> None:
    path = f"/api/boards/{board.id}/tasks"
    async with harness.client.get(path) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.content_type == "application/problem+json"
    forged = harness.token(board.owner)[:-4] + "AAAA"
    async with harness.client.get(path, headers={"Authorization": f"Bearer {forged}"}) as response:
        assert response.status == 401
