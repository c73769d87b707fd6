"""Every task change publishes its event (through the outbox in the task's own document), with
the envelope's provenance: board, actor, correlation id and the originating socket."""

from __future__ import annotations

import pytest

from hintro_shared.authz import Role
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def test_each_change_publishes_its_event_in_order(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=2)
    label = await harness.add_label(board, "x")
    headers = {"X-Request-Id": "req-events-1", "X-Socket-Id": "sock_abc-123"}
    status, task = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        owner,
        {"listId": board.lists[0].id, "title": "Write", "labelIds": [label]},
        **headers,
    )
    assert status == 201
    tid = task["id"]
    steps = [
        ("PATCH", f"/api/tasks/{tid}", {"title": "Rewrite", "dueDate": None}),
        ("POST", f"/api/tasks/{tid}/move", {"listId": board.lists[1].id}),
        ("PUT", f"/api/tasks/{tid}/assignees/{owner}", None),
        ("PUT", f"/api/tasks/{tid}/assignees/{owner}", None),  # no change: no event
        ("DELETE", f"/api/tasks/{tid}/assignees/{owner}", None),
        ("POST", f"/api/tasks/{tid}/archive", None),
        ("POST", f"/api/tasks/{tid}/archive", None),  # archived already: no event
        ("POST", f"/api/tasks/{tid}/restore", None),
        ("POST", f"/api/tasks/{tid}/archive", None),
        ("DELETE", f"/api/tasks/{tid}", None),
    ]
    for method, path, body in steps:
        status, _ = await harness.request(method, path, owner, body, **headers)
        assert status in (200, 204)

    events = await harness.wait_events(tid, 9)
    assert [e.type for e in events] == [
        "task.created",
        "task.updated",
        "task.moved",
        "task.assigned",
        "task.unassigned",
        "task.archived",
        "task.restored",
        "task.archived",
        "task.deleted",
    ]
    assert [e.data["version"] for e in events] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for event in events:
        assert event.board_id == board.id
        assert event.actor_id == owner
        assert event.correlation_id == "req-events-1"
        assert event.origin_socket_id == "sock_abc-123"
        assert event.source == "hintro/task"
        assert event.data["boardId"] == board.id

    created, updated, moved, assigned, unassigned, archived, restored, _, deleted = events
    assert created.data["title"] == "Write"
    assert created.data["labelIds"] == [label]
    assert created.data["position"] == task["position"]
    assert created.data["createdBy"] == owner
    # Only what changed (dueDate was already empty), plus the task's identity.
    assert set(updated.data) == {"taskId", "boardId", "listId", "version", "title", "updatedAt"}
    assert updated.data["title"] == "Rewrite"
    assert moved.data["fromListId"] == board.lists[0].id
    assert moved.data["toListId"] == board.lists[1].id
    assert moved.data["position"]
    assert assigned.data["userId"] == owner
    assert unassigned.data["userId"] == owner
    assert deleted.data["listId"] == board.lists[1].id
    assert deleted.data["title"] == "Rewrite"
    assert archived.data["withList"] is False
    assert archived.data["listId"] == board.lists[1].id
    assert restored.data["listId"] == board.lists[1].id
    assert restored.data["position"] == moved.data["position"]
    assert restored.data["withList"] is False
    assert "fromListId" not in restored.data


async def test_events_leave_the_outbox_and_tombstones_go(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=1)
    kept = await harness.create_task(board, owner)
    dropped = await harness.create_task(board, owner)
    status, _ = await harness.request("DELETE", f"/api/tasks/{dropped['id']}", owner)
    assert status == 409  # only an archived task can be deleted
    status, _ = await harness.request("POST", f"/api/tasks/{dropped['id']}/archive", owner)
    assert status == 200
    status, _ = await harness.request("DELETE", f"/api/tasks/{dropped['id']}", owner)
    assert status == 204
    await harness.wait_events(dropped["id"], 3)

    async def drained() -> bool:
        doc = await harness.tasks.find_one({"_id": kept["id"]})
        gone = await harness.tasks.find_one({"_id": dropped["id"]})
        return doc is not None and doc["outboxPending"] == 0 and not doc["outbox"] and gone is None

    await wait_for(drained, within=5, what="outbox drained and tombstone removed")


async def test_no_event_without_a_change(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=1)
    task = await harness.create_task(board, owner, title="Same")
    await harness.wait_events(task["id"], 1)
    status, _ = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", owner, {"title": "x" * 201}
    )
    assert status == 422
    status, _ = await harness.request("PATCH", f"/api/tasks/{task['id']}", owner, {"title": "Same"})
    assert status == 200
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}/assignees/{owner}", owner)
    assert status == 200
    # A later change proves the relay ran past the earlier requests.
    status, _ = await harness.request("PATCH", f"/api/tasks/{task['id']}", owner, {"title": "New"})
    assert status == 200
    events = await harness.wait_events(task["id"], 2)
    assert [e.type for e in events] == ["task.created", "task.updated"]


async def test_a_removed_member_is_unassigned_from_the_boards_tasks(harness: Harness) -> None:
    owner, leaver, stayer = unique("owner"), unique("leaver"), unique("stayer")
    members = {leaver: Role.EDITOR, stayer: Role.EDITOR}
    board = await harness.board(owner, members=members, lists=2)
    other = await harness.board(owner, members={leaver: Role.EDITOR}, lists=1)
    both = await harness.create_task(board, owner, 0, assigneeIds=[leaver, stayer])
    only = await harness.create_task(board, owner, 1, assigneeIds=[leaver])
    untouched = await harness.create_task(board, owner, 0, assigneeIds=[stayer])
    elsewhere = await harness.create_task(other, owner, 0, assigneeIds=[leaver])
    await harness.remove_member(board, leaver)

    async def unassigned() -> bool:
        for task in (both, only):
            _, fresh = await harness.request("GET", f"/api/tasks/{task['id']}", owner)
            if leaver in fresh["assigneeIds"]:
                return False
        return True

    await wait_for(unassigned, within=10, what="the leaver taken off the board's tasks")
    _, fresh = await harness.request("GET", f"/api/tasks/{both['id']}", owner)
    assert fresh["assigneeIds"] == [stayer]
    assert fresh["version"] == both["version"] + 1
    for task, assignees in ((untouched, [stayer]), (elsewhere, [leaver])):
        _, same = await harness.request("GET", f"/api/tasks/{task['id']}", owner)
        assert same["assigneeIds"] == assignees
        assert same["version"] == task["version"]
    for task in (both, only):
        events = await harness.wait_events(task["id"], 2)
        assert events[-1].type == "task.unassigned"
        assert events[-1].data["userId"] == leaver
        assert events[-1].actor_id == "someone"  # the removal's actor
        assert events[-1].origin_socket_id is None
