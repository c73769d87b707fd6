"""Archive and restore of tasks: an archived task is hidden from every normal read, listed with
``?archived=true``, refuses changes, comes back at its own place; a list archived by the board
service takes its live tasks along and its restore brings back exactly those; a task whose list
is archived says so when restored and may be restored to another list; only an archived task
can be deleted."""

from __future__ import annotations

import pytest

from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard, FakeList
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def _ids(harness: Harness, board: FakeBoard, user: str, query: str) -> list[str]:
    status, page = await harness.request("GET", f"/api/boards/{board.id}/tasks{query}", user)
    assert status == 200, page
    return [task["id"] for task in page["items"]]


async def _archive_list(harness: Harness, board: FakeBoard, item: FakeList) -> None:
    board.lists.remove(item)
    item.version += 1
    await harness.publish(
        "list.archived",
        board.id,
        listId=item.id,
        boardId=board.id,
        version=item.version,
        title="List",
        archivedAt="2026-01-02T00:00:00Z",
    )


async def _restore_list(harness: Harness, board: FakeBoard, item: FakeList) -> None:
    board.lists.append(item)
    board.lists.sort(key=lambda ref: ref.position)
    item.version += 1
    await harness.publish(
        "list.restored",
        board.id,
        listId=item.id,
        boardId=board.id,
        version=item.version,
        title="List",
        position=item.position,
        createdAt="2026-01-01T00:00:00Z",
    )


async def test_an_archived_task_is_hidden_refuses_changes_and_comes_back_in_place(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=2)
    first = await harness.create_task(board, owner)
    middle = await harness.create_task(board, owner)
    last = await harness.create_task(board, owner)
    status, archived = await harness.request("POST", f"/api/tasks/{middle['id']}/archive", owner)
    assert status == 200
    assert archived["archivedAt"] is not None
    assert archived["archivedWithList"] is False
    assert archived["version"] == middle["version"] + 1
    assert await _ids(harness, board, owner, "?all=true") == [first["id"], last["id"]]
    assert await _ids(harness, board, owner, "") == [first["id"], last["id"]]
    assert await _ids(harness, board, owner, "?archived=true") == [middle["id"]]
    status, _ = await harness.request(
        "GET", f"/api/boards/{board.id}/tasks?archived=true&all=true", owner
    )
    assert status == 422
    # Still readable by id; every change but restore and delete is refused with a sentence.
    status, read = await harness.request("GET", f"/api/tasks/{middle['id']}", owner)
    assert status == 200
    assert read == archived
    refusals = [
        ("PATCH", "", {"title": "x"}),
        ("POST", "/move", {"listId": board.lists[1].id}),
        ("PUT", f"/assignees/{owner}", None),
    ]
    for method, suffix, body in refusals:
        status, problem = await harness.request(
            method, f"/api/tasks/{middle['id']}{suffix}", owner, body
        )
        assert status == 409, (method, suffix)
        assert "restore" in problem["detail"]
    # An archived task is no anchor.
    status, problem = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        owner,
        {"listId": board.lists[0].id, "title": "x", "afterId": middle["id"]},
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "afterId"]
    # Tasks placed meanwhile never take its place: it comes back exactly there.
    status, _ = await harness.request(
        "POST",
        f"/api/tasks/{last['id']}/move",
        owner,
        {"listId": board.lists[0].id, "afterId": first["id"]},
    )
    assert status == 200
    status, restored = await harness.request("POST", f"/api/tasks/{middle['id']}/restore", owner)
    assert status == 200
    assert restored["archivedAt"] is None
    assert restored["position"] == middle["position"]
    assert restored["listId"] == middle["listId"]
    assert middle["id"] in await _ids(harness, board, owner, "?all=true")
    assert await _ids(harness, board, owner, "?archived=true") == []
    status, again = await harness.request("POST", f"/api/tasks/{middle['id']}/restore", owner)
    assert status == 200
    assert again == restored


async def test_archiving_a_list_takes_its_tasks_and_restoring_brings_back_exactly_those(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=2)
    doomed = board.lists[0]
    alone = await harness.create_task(board, owner)
    taken = [await harness.create_task(board, owner) for _ in range(3)]
    other = await harness.create_task(board, owner, 1)
    status, _ = await harness.request("POST", f"/api/tasks/{alone['id']}/archive", owner)
    assert status == 200

    await _archive_list(harness, board, doomed)

    async def archived_with_list() -> bool:
        status, page = await harness.request(
            "GET", f"/api/boards/{board.id}/tasks?archived=true", owner
        )
        return status == 200 and sum(t["archivedWithList"] for t in page["items"]) == 3

    await wait_for(archived_with_list, within=10, what="the list's tasks archived with it")
    assert await _ids(harness, board, owner, "?all=true") == [other["id"]]
    for task in taken:
        events = await harness.wait_events(task["id"], 2)
        assert events[-1].type == "task.archived"
        assert events[-1].data["withList"] is True
        assert events[-1].actor_id == "someone"
    # Its task cannot come back on its own to an archived list: the answer says why.
    status, problem = await harness.request("POST", f"/api/tasks/{alone['id']}/restore", owner)
    assert status == 422
    assert problem["errors"][0]["type"] == "list_archived"
    assert "archived" in problem["detail"]
    # Nor can a task be created or moved there.
    status, _ = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", owner, {"listId": doomed.id, "title": "x"}
    )
    assert status == 422

    await _restore_list(harness, board, doomed)

    async def back() -> bool:
        return set(await _ids(harness, board, owner, "?all=true")) == {
            other["id"],
            *(task["id"] for task in taken),
        }

    await wait_for(back, within=10, what="the list's tasks restored with it")
    assert await _ids(harness, board, owner, "?all=true") == [
        *(task["id"] for task in taken),
        other["id"],
    ]
    # The task archived on its own before stays archived.
    assert await _ids(harness, board, owner, "?archived=true") == [alone["id"]]
    for task in taken:
        events = await harness.wait_events(task["id"], 3)
        assert events[-1].type == "task.restored"
        assert events[-1].data["withList"] is True
        assert events[-1].data["position"] == task["position"]
        # Every client sees them come back, the restorer's too.
        assert events[-1].origin_socket_id is None


async def test_a_task_whose_list_is_archived_may_be_restored_to_another_list(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=2)
    gone, target = board.lists
    task = await harness.create_task(board, owner)
    there = await harness.create_task(board, owner, 1)
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    await _archive_list(harness, board, gone)

    async def refused() -> bool:
        status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/restore", owner)
        return status == 422

    await wait_for(refused, within=10, what="the list known to be archived")
    status, problem = await harness.request(
        "POST", f"/api/tasks/{task['id']}/restore", owner, {"listId": gone.id}
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "listId"]
    status, restored = await harness.request(
        "POST", f"/api/tasks/{task['id']}/restore", owner, {"listId": target.id}
    )
    assert status == 200, restored
    assert restored["listId"] == target.id
    assert restored["position"] > there["position"]
    assert await _ids(harness, board, owner, "?all=true") == [there["id"], task["id"]]
    events = await harness.wait_events(task["id"], 3)
    assert events[-1].type == "task.restored"
    assert events[-1].data["fromListId"] == gone.id
    assert events[-1].data["listId"] == target.id


async def test_viewers_may_list_archived_tasks_but_not_archive_or_restore(
    harness: Harness,
) -> None:
    owner, viewer = unique("owner"), unique("viewer")
    board = await harness.board(owner, members={viewer: Role.VIEWER}, lists=1)
    task = await harness.create_task(board, owner)
    for suffix in ("/archive", "/restore"):
        status, _ = await harness.request("POST", f"/api/tasks/{task['id']}{suffix}", viewer)
        assert status == 403
    status, archived = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    assert await _ids(harness, board, viewer, "?archived=true") == [task["id"]]
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", viewer)
    assert status == 403
    stranger = unique("stranger")
    status, _ = await harness.request(
        "GET", f"/api/boards/{board.id}/tasks?archived=true", stranger
    )
    assert status == 404
    status, unchanged = await harness.request("GET", f"/api/tasks/{task['id']}", owner)
    assert unchanged == archived
