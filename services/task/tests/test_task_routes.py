"""Every task route through HTTP: happy paths, validation, ETag/If-Match, and who may do what
(non-members 404 everywhere, viewers 403 on every write)."""

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


async def test_create_returns_the_task_at_the_end_of_its_list(
    harness: Harness, board: FakeBoard
) -> None:
    editor = board.member_with(Role.EDITOR)
    bug, ui = await harness.add_label(board, "bug"), await harness.add_label(board, "ui")
    first = await harness.create_task(board, editor, title="First")
    status, second = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        editor,
        {
            "listId": board.lists[0].id,
            "title": "  Second  ",
            "description": "details",
            "labelIds": [bug, ui, bug],
            "assigneeIds": [board.owner],
            "startDate": "2027-02-01",
            "dueDate": "2027-03-01T12:00:00+02:00",
        },
    )
    assert status == 201
    assert set(second) == {
        "id", "boardId", "listId", "title", "description", "position", "assigneeIds",
        "labelIds", "startDate", "dueDate", "dueComplete", "createdBy", "createdAt",
        "updatedAt", "version", "commentCount", "archivedAt", "archivedWithList",
    }  # fmt: skip
    assert second["archivedAt"] is None
    assert second["title"] == "Second"
    assert second["labelIds"] == [bug, ui]
    assert second["startDate"] == "2027-02-01T00:00:00Z"
    assert second["dueComplete"] is False
    assert second["assigneeIds"] == [board.owner]
    assert second["dueDate"] == "2027-03-01T10:00:00Z"
    assert second["createdBy"] == editor
    assert second["version"] == 1
    assert second["position"] > first["position"]


async def test_get_returns_the_task_with_its_version_as_etag(
    harness: Harness, board: FakeBoard
) -> None:
    task = await harness.create_task(board, board.owner)
    viewer = board.member_with(Role.VIEWER)
    async with harness.client.get(f"/api/tasks/{task['id']}", headers=harness.auth(viewer)) as r:
        assert r.status == 200
        assert r.headers["ETag"] == '"1"'
        assert await r.json() == task


async def test_patch_changes_only_the_given_fields(harness: Harness, board: FakeBoard) -> None:
    label = await harness.add_label(board, "a")
    task = await harness.create_task(board, board.owner, description="keep me", labelIds=[label])
    status, updated = await harness.request(
        "PATCH",
        f"/api/tasks/{task['id']}",
        board.owner,
        {"title": "Renamed", "dueDate": "2027-01-01T00:00:00Z"},
    )
    assert status == 200
    assert updated["title"] == "Renamed"
    assert updated["dueDate"] == "2027-01-01T00:00:00Z"
    assert updated["description"] == "keep me"
    assert updated["labelIds"] == [label]
    assert updated["version"] == 2
    status, cleared = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", board.owner, {"dueDate": None, "labelIds": []}
    )
    assert status == 200
    assert cleared["dueDate"] is None
    assert cleared["labelIds"] == []
    assert cleared["version"] == 3


async def test_patch_that_changes_nothing_does_not_bump_the_version(
    harness: Harness, board: FakeBoard
) -> None:
    task = await harness.create_task(board, board.owner, title="Same")
    status, same = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", board.owner, {"title": "Same"}
    )
    assert status == 200
    assert same == task


async def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    harness: Harness, board: FakeBoard
) -> None:
    task = await harness.create_task(board, board.owner)
    path = f"/api/tasks/{task['id']}"
    status, body = await harness.request(
        "PATCH", path, board.owner, {"title": "Stale"}, **{"If-Match": '"7"'}
    )
    assert status == 412
    assert body["status"] == 412
    await harness.assert_unchanged(task, board.owner)
    status, body = await harness.request(
        "PATCH", path, board.owner, {"title": "Fresh"}, **{"If-Match": '"1"'}
    )
    assert status == 200
    assert body["title"] == "Fresh"


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": None},
        {"description": "x" * 10_001},
        {"labelIds": ["x"] * 21},
        {"labelIds": ["no/slash"]},
        {"labelIds": [""]},
        {"labelIds": None},
        {"labels": ["free text"]},
        {"dueComplete": None},
        {"dueComplete": "maybe"},
        {"labelIds": ["nosuchlabel"]},
        {"startDate": "2099-01-01T00:00:00Z"},
        {"position": "a0"},
        {"listId": "elsewhere"},
        {"title": 5},
        {"dueDate": "tomorrow"},
    ],
)
async def test_invalid_patch_is_422_and_changes_nothing(
    harness: Harness, board: FakeBoard, body: dict[str, Any]
) -> None:
    task = await harness.create_task(board, board.owner, dueDate="2030-01-01T00:00:00Z")
    status, problem = await harness.request("PATCH", f"/api/tasks/{task['id']}", board.owner, body)
    assert status == 422
    assert problem["errors"]
    await harness.assert_unchanged(task, board.owner)


@pytest.mark.parametrize(
    "override",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"description": "x" * 10_001},
        {"labelIds": [f"l{i}" for i in range(21)]},
        {"labelIds": ["nosuchlabel"]},
        {"labels": ["x"]},
        {"startDate": "2030-01-02", "dueDate": "2030-01-01"},
        {"assigneeIds": [f"u{i}" for i in range(51)]},
        {"unknown": True},
        {"listId": None},
        {"afterId": "no/slashes"},
    ],
)
async def test_invalid_create_is_422_and_creates_nothing(
    harness: Harness, board: FakeBoard, override: dict[str, Any]
) -> None:
    body = {"listId": board.lists[0].id, "title": "ok", **override}
    status, problem = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", board.owner, body
    )
    assert status == 422
    assert problem["errors"]
    assert await harness.tasks.count_documents({"boardId": board.id}) == 0


async def test_create_limits_at_the_boundary_are_accepted(
    harness: Harness, board: FakeBoard
) -> None:
    task = await harness.create_task(
        board,
        board.owner,
        title="t" * 200,
        description="d" * 10_000,
        labelIds=[await harness.add_label(board, f"{i:02d}" + "x" * 48) for i in range(20)],
        startDate="2030-01-01T00:00:00Z",
        dueDate="2030-01-01T00:00:00Z",
    )
    assert len(task["labelIds"]) == 20


async def test_create_in_an_unknown_list_or_another_boards_list_is_422(
    harness: Harness, board: FakeBoard
) -> None:
    other = await harness.board(board.owner)
    for list_id in (other.lists[0].id, "nosuchlist"):
        status, problem = await harness.request(
            "POST",
            f"/api/boards/{board.id}/tasks",
            board.owner,
            {"listId": list_id, "title": "x"},
        )
        assert status == 422
        assert problem["errors"][0]["loc"] == ["body", "listId"]


async def test_create_with_a_non_member_assignee_is_422(harness: Harness, board: FakeBoard) -> None:
    status, problem = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        board.owner,
        {"listId": board.lists[0].id, "title": "x", "assigneeIds": [board.owner, "stranger"]},
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "assigneeIds", "1"]
    assert await harness.tasks.count_documents({"boardId": board.id}) == 0


async def test_create_between_anchors_places_the_task_there(
    harness: Harness, board: FakeBoard
) -> None:
    a = await harness.create_task(board, board.owner, title="a")
    c = await harness.create_task(board, board.owner, title="c")
    b = await harness.create_task(board, board.owner, title="b", afterId=a["id"])
    z = await harness.create_task(board, board.owner, title="z", beforeId=a["id"])
    assert z["position"] < a["position"] < b["position"] < c["position"]
    status, problem = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        board.owner,
        {"listId": board.lists[1].id, "title": "x", "afterId": a["id"]},
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "afterId"]


async def test_move_to_another_list_between_anchors(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(board, board.owner, 0)
    first = await harness.create_task(board, board.owner, 1)
    second = await harness.create_task(board, board.owner, 1)
    status, moved = await harness.request(
        "POST",
        f"/api/tasks/{task['id']}/move",
        board.owner,
        {"listId": board.lists[1].id, "afterId": first["id"], "beforeId": second["id"]},
    )
    assert status == 200
    assert moved["listId"] == board.lists[1].id
    assert first["position"] < moved["position"] < second["position"]
    assert moved["version"] == task["version"] + 1


@pytest.mark.parametrize("case", ["anchor-elsewhere", "self-anchor", "reversed", "foreign-list"])
async def test_invalid_move_is_422_and_changes_nothing(
    harness: Harness, board: FakeBoard, case: str
) -> None:
    task = await harness.create_task(board, board.owner, 0)
    low = await harness.create_task(board, board.owner, 1)
    high = await harness.create_task(board, board.owner, 1)
    other = await harness.board(board.owner, lists=1)
    body = {
        "anchor-elsewhere": {"listId": board.lists[0].id, "afterId": low["id"]},
        "self-anchor": {"listId": board.lists[0].id, "beforeId": task["id"]},
        "reversed": {"listId": board.lists[1].id, "afterId": high["id"], "beforeId": low["id"]},
        "foreign-list": {"listId": other.lists[0].id},
    }[case]
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/move", board.owner, body)
    assert status == 422
    await harness.assert_unchanged(task, board.owner)


async def test_assign_and_unassign_are_idempotent(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(board, board.owner)
    editor, viewer = board.member_with(Role.EDITOR), board.member_with(Role.VIEWER)
    path = f"/api/tasks/{task['id']}/assignees"
    status, once = await harness.request("PUT", f"{path}/{viewer}", editor)
    assert status == 200
    assert once["assigneeIds"] == [viewer]
    status, twice = await harness.request("PUT", f"{path}/{viewer}", editor)
    assert status == 200
    assert twice == once
    status, removed = await harness.request("DELETE", f"{path}/{viewer}", editor)
    assert status == 200
    assert removed["assigneeIds"] == []
    status, again = await harness.request("DELETE", f"{path}/{viewer}", editor)
    assert status == 200
    assert again == removed


async def test_assigning_a_non_member_is_422(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(board, board.owner)
    status, problem = await harness.request(
        "PUT", f"/api/tasks/{task['id']}/assignees/stranger", board.owner
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["path", "userId"]
    await harness.assert_unchanged(task, board.owner)


async def test_delete_removes_the_task(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(board, board.owner)
    status, problem = await harness.request("DELETE", f"/api/tasks/{task['id']}", board.owner)
    assert status == 409
    assert "archive" in problem["detail"]
    await harness.assert_unchanged(task, board.owner)
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", board.owner)
    assert status == 200
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", board.owner)
    assert status == 204
    status, problem = await harness.request("GET", f"/api/tasks/{task['id']}", board.owner)
    assert status == 404
    assert problem["status"] == 404
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", board.owner)
    assert status == 404


async def test_unknown_task_is_404(harness: Harness, board: FakeBoard) -> None:
    for method, suffix in [("GET", ""), ("PATCH", ""), ("POST", "/move"), ("DELETE", "")]:
        body = {"title": "x"} if method == "PATCH" else {"listId": board.lists[0].id}
        status, problem = await harness.request(
            method, f"/api/tasks/nosuchtask{suffix}", board.owner, body if method != "GET" else None
        )
        assert status == 404, (method, suffix)
        assert problem["status"] == 404


async def test_malformed_json_is_400(harness: Harness, board: FakeBoard) -> None:
    async with harness.client.post(
        f"/api/boards/{board.id}/tasks",
        data=b"{nope",
        headers={**harness.auth(board.owner), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
