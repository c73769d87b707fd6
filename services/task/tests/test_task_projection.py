"""The boards/lists/membership projection: fed by board events, idempotent under duplicates
and disorder, cascading deletions to tasks, cutting a removed member off within a second, and
falling back to the board service so that a new member or list works at once."""

from __future__ import annotations

import time

import pytest

from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def live_tasks(harness: Harness, **query: str) -> int:
    return int(await harness.tasks.count_documents({**query, "deleted": {"$nin": [True]}}))


async def test_board_deleted_removes_its_tasks(harness: Harness) -> None:
    board = await harness.board(lists=2)
    kept = await harness.board(board.owner, lists=1)
    for index in (0, 1, 1):
        await harness.create_task(board, board.owner, index)
    survivor = await harness.create_task(kept, kept.owner)
    board.version += 1
    del harness.board_service.boards[board.id]
    deleted = await harness.publish(
        "board.deleted", board.id, boardId=board.id, version=board.version
    )

    async def gone() -> bool:
        return await live_tasks(harness, boardId=board.id) == 0

    await wait_for(gone, within=5, what="tasks of the deleted board to go")
    status, _ = await harness.request("GET", f"/api/boards/{board.id}/tasks", board.owner)
    assert status == 404

    async def announced() -> bool:
        events = await harness.events()
        return sum(e.type == "task.deleted" and e.board_id == board.id for e in events) == 3

    # Each of the three tasks announces its deletion.
    await wait_for(announced, within=5, what="a task.deleted per task of the board")
    status, _ = await harness.request("GET", f"/api/tasks/{survivor['id']}", kept.owner)
    assert status == 200
    # A redelivered deletion changes nothing and fails nothing.
    await harness.publisher.publish(deleted)
    assert await live_tasks(harness, boardId=kept.id) == 1


async def test_list_deleted_removes_its_tasks_only(harness: Harness) -> None:
    board = await harness.board(lists=2)
    doomed = [await harness.create_task(board, board.owner, 0) for _ in range(3)]
    other = await harness.create_task(board, board.owner, 1)
    gone_list = board.lists.pop(0)
    await harness.publish(
        "list.deleted", board.id, listId=gone_list.id, boardId=board.id, version=2
    )

    async def gone() -> bool:
        return await live_tasks(harness, listId=gone_list.id) == 0

    await wait_for(gone, within=5, what="tasks of the deleted list to go")
    for task in doomed:
        status, _ = await harness.request("GET", f"/api/tasks/{task['id']}", board.owner)
        assert status == 404
        # Each cascaded task announces its deletion, as the list's deleter.
        created, deleted = await harness.wait_events(task["id"], 2)
        assert (created.type, deleted.type) == ("task.created", "task.deleted")
        assert deleted.data["listId"] == gone_list.id
        assert deleted.actor_id == "someone"
        assert deleted.data["version"] == task["version"] + 1
    status, _ = await harness.request("GET", f"/api/tasks/{other['id']}", board.owner)
    assert status == 200
    status, _ = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        board.owner,
        {"listId": gone_list.id, "title": "too late"},
    )
    assert status == 422
    # A late, older list.created cannot bring the deleted list back.
    await harness.publish(
        "list.created",
        board.id,
        listId=gone_list.id,
        boardId=board.id,
        title="List",
        position=gone_list.position,
        createdAt="2026-01-01T00:00:00Z",
        version=1,
    )
    await harness.settled(board)
    ref = await harness.projection.get_list(gone_list.id)
    assert ref is not None
    assert ref.deleted


async def test_removed_member_loses_access_within_a_second(harness: Harness) -> None:
    editor = unique("editor")
    board = await harness.board(members={editor: Role.EDITOR})
    task = await harness.create_task(board, editor)
    calls_before = harness.board_service.calls_for(board.id)
    status, _ = await harness.request("GET", f"/api/tasks/{task['id']}", editor)
    assert status == 200
    assert harness.board_service.calls_for(board.id) == calls_before  # granted by the projection

    started = time.monotonic()
    await harness.remove_member(board, editor)

    async def refused() -> bool:
        status, _ = await harness.request("GET", f"/api/tasks/{task['id']}", editor)
        return status == 404

    await wait_for(refused, within=1.0, interval=0.02, what="removed member to be refused")
    assert time.monotonic() - started < 1.0
    status, _ = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", editor, {"title": "sneaky"}
    )
    assert status == 404


async def test_new_member_works_at_once_through_the_fallback(harness: Harness) -> None:
    board = await harness.board()
    newcomer = unique("newcomer")
    # The board service has the member; its event has not reached the task service.
    await harness.add_member(board, newcomer, Role.EDITOR, via_events=False)
    calls_before = len(harness.board_service.calls)
    status, task = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        newcomer,
        {"listId": board.lists[0].id, "title": "first day"},
        **{"X-Request-Id": "req-newcomer-1"},
    )
    assert status == 201, task
    assert harness.board_service.calls[calls_before:] == [(board.id, "req-newcomer-1")]
    # The answer was kept: the next request needs no call.
    status, _ = await harness.request("GET", f"/api/tasks/{task['id']}", newcomer)
    assert status == 200
    assert len(harness.board_service.calls) == calls_before + 1


async def test_new_member_can_be_assigned_at_once(harness: Harness) -> None:
    board = await harness.board()
    task = await harness.create_task(board, board.owner)
    newcomer = unique("newcomer")
    await harness.add_member(board, newcomer, Role.VIEWER, via_events=False)
    status, body = await harness.request(
        "PUT", f"/api/tasks/{task['id']}/assignees/{newcomer}", board.owner
    )
    assert status == 200
    assert body["assigneeIds"] == [newcomer]


async def test_list_created_a_moment_ago_is_usable_at_once(harness: Harness) -> None:
    board = await harness.board(lists=1)
    task = await harness.create_task(board, board.owner)
    fresh = await harness.add_list(board, via_events=False)
    status, created = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", board.owner, {"listId": fresh.id, "title": "x"}
    )
    assert status == 201
    assert created["listId"] == fresh.id
    status, moved = await harness.request(
        "POST", f"/api/tasks/{task['id']}/move", board.owner, {"listId": fresh.id}
    )
    assert status == 200
    assert moved["position"] > created["position"]


async def test_promotion_from_viewer_to_editor_works_at_once(harness: Harness) -> None:
    user = unique("user")
    board = await harness.board(members={user: Role.VIEWER})
    status, _ = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", user, {"listId": board.lists[0].id, "title": "x"}
    )
    assert status == 403
    board.version += 1
    board.members[user] = Role.EDITOR  # role_changed not yet consumed
    status, _ = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", user, {"listId": board.lists[0].id, "title": "x"}
    )
    assert status == 201


async def test_fallback_grants_nothing_the_board_service_does_not(harness: Harness) -> None:
    board = await harness.board()
    stranger = unique("stranger")
    calls_before = harness.board_service.calls_for(board.id)
    status, _ = await harness.request("GET", f"/api/boards/{board.id}/tasks", stranger)
    assert status == 404
    assert harness.board_service.calls_for(board.id) == calls_before + 1
    status, _ = await harness.request("GET", "/api/boards/nosuchboard/tasks", stranger)
    assert status == 404


async def test_board_service_down_is_503_for_denials_only(harness: Harness) -> None:
    board = await harness.board()
    task = await harness.create_task(board, board.owner)
    harness.board_service.failing = True
    try:
        status, problem = await harness.request(
            "GET", f"/api/tasks/{task['id']}", unique("stranger")
        )
        assert status == 503
        assert problem["status"] == 503
        status, _ = await harness.request("GET", f"/api/tasks/{task['id']}", board.owner)
        assert status == 200  # the projection's grant needs no board service
    finally:
        harness.board_service.failing = False


async def test_duplicate_and_out_of_order_member_events_converge(harness: Harness) -> None:
    user = unique("user")
    board = await harness.board(members={user: Role.EDITOR})
    added_version = board.version
    await harness.remove_member(board, user)
    projection = harness.projection

    async def removed() -> bool:
        return await projection.role_of(board.id, user) is None

    await wait_for(removed, within=5, what="removal in the projection")
    # The older member_added arrives again (redelivery / disorder): it must not resurrect.
    await harness.publish(
        "board.member_added",
        board.id,
        boardId=board.id,
        userId=user,
        role="editor",
        version=added_version,
    )
    marker = unique("marker")
    await harness.add_member(board, marker, Role.VIEWER)
    await harness.settled(board)
    assert await projection.role_of(board.id, user) is None


async def test_role_change_event_updates_the_projection(harness: Harness) -> None:
    user = unique("user")
    board = await harness.board(members={user: Role.EDITOR})
    board.version += 1
    board.members[user] = Role.VIEWER
    await harness.publish(
        "board.member_role_changed",
        board.id,
        boardId=board.id,
        userId=user,
        role="viewer",
        previousRole="editor",
        version=board.version,
    )
    await harness.settled(board)
    status, _ = await harness.request(
        "POST", f"/api/boards/{board.id}/tasks", user, {"listId": board.lists[0].id, "title": "x"}
    )
    assert status == 403


async def test_list_reorder_event_reorders_the_listing(harness: Harness) -> None:
    board: FakeBoard = await harness.board(lists=2)
    first = await harness.create_task(board, board.owner, 0)
    second = await harness.create_task(board, board.owner, 1)
    moved = board.lists[0]
    moved.position, moved.version = "a5", 2
    await harness.publish(
        "list.updated",
        board.id,
        listId=moved.id,
        boardId=board.id,
        position="a5",
        version=2,
    )

    async def reordered() -> bool:
        status, page = await harness.request("GET", f"/api/boards/{board.id}/tasks", board.owner)
        return status == 200 and [t["id"] for t in page["items"]] == [second["id"], first["id"]]

    await wait_for(reordered, within=5, what="tasks listed in the new list order")
