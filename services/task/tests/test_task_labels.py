"""Labels and dates on tasks: only the board's labels are accepted (also one the projection has
not learnt yet), a deleted label leaves every task with a ``task.updated`` each, and the start
date may not come after the due date."""

from __future__ import annotations

import pytest

from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
async def board(harness: Harness) -> FakeBoard:
    return await harness.board(unique("owner"), members={unique("editor"): Role.EDITOR})


async def test_a_label_of_another_board_is_422_and_changes_nothing(
    harness: Harness, board: FakeBoard
) -> None:
    other = await harness.board(board.owner)
    mine, theirs = await harness.add_label(board, "mine"), await harness.add_label(other, "x")
    task = await harness.create_task(board, board.owner, labelIds=[mine])
    status, problem = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", board.owner, {"labelIds": [mine, theirs]}
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "labelIds", "1"]
    await harness.assert_unchanged(task, board.owner)
    status, problem = await harness.request(
        "POST",
        f"/api/boards/{board.id}/tasks",
        board.owner,
        {"listId": board.lists[0].id, "title": "T", "labelIds": [theirs]},
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "labelIds", "0"]


async def test_a_label_made_a_moment_ago_is_accepted_before_its_event(
    harness: Harness, board: FakeBoard
) -> None:
    fresh = await harness.add_label(board, "fresh", via_events=False)
    task = await harness.create_task(board, board.owner, labelIds=[fresh])
    assert task["labelIds"] == [fresh]


async def test_a_deleted_label_leaves_every_task_once(harness: Harness, board: FakeBoard) -> None:
    bug, ui = await harness.add_label(board, "bug"), await harness.add_label(board, "ui")
    both = await harness.create_task(board, board.owner, labelIds=[bug, ui])
    only = await harness.create_task(board, board.owner, labelIds=[bug])
    untouched = await harness.create_task(board, board.owner, labelIds=[ui])
    deletion = await harness.delete_label(board, bug)

    updates = await harness.wait_events(both["id"], 2)
    assert updates[1].type == "task.updated"
    assert updates[1].data["labelIds"] == [ui]
    assert updates[1].actor_id == deletion.actor_id
    assert updates[1].correlation_id == deletion.correlation_id
    assert (await harness.wait_events(only["id"], 2))[1].data["labelIds"] == []

    async def detached() -> bool:
        _, first = await harness.request("GET", f"/api/tasks/{both['id']}", board.owner)
        _, second = await harness.request("GET", f"/api/tasks/{only['id']}", board.owner)
        return first["labelIds"] == [ui] and second["labelIds"] == []

    await wait_for(detached, within=10, what="the label detached from the tasks")
    await harness.assert_unchanged(untouched, board.owner)
    # The deleted label is refused from now on.
    status, _ = await harness.request(
        "PATCH", f"/api/tasks/{untouched['id']}", board.owner, {"labelIds": [ui, bug]}
    )
    assert status == 422

    # A redelivered deletion finds nothing left to do: no further event.
    await harness.publish("board.label_deleted", board.id, **deletion.data)
    marker = await harness.create_task(board, board.owner)
    await harness.wait_events(marker["id"], 1)
    assert len(await harness.events(both["id"])) == 2
    assert len(await harness.events(only["id"])) == 2


async def test_dates_and_the_done_flag(harness: Harness, board: FakeBoard) -> None:
    task = await harness.create_task(
        board, board.owner, startDate="2030-01-01T00:00:00Z", dueDate="2030-01-05T00:00:00Z"
    )
    path = f"/api/tasks/{task['id']}"
    status, problem = await harness.request("PATCH", path, board.owner, {"dueDate": "2029-12-31"})
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "dueDate"]
    status, problem = await harness.request("PATCH", path, board.owner, {"startDate": "2030-02-01"})
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "startDate"]
    await harness.assert_unchanged(task, board.owner)

    status, done = await harness.request("PATCH", path, board.owner, {"dueComplete": True})
    assert status == 200
    assert done["dueComplete"] is True
    status, cleared = await harness.request(
        "PATCH", path, board.owner, {"startDate": None, "dueDate": "2029-01-01"}
    )
    assert status == 200
    assert cleared["startDate"] is None
    assert cleared["dueDate"] == "2029-01-01T00:00:00Z"
    assert cleared["dueComplete"] is True
    events = await harness.wait_events(task["id"], 3)
    assert events[1].data["dueComplete"] is True
    assert "dueDate" not in events[1].data
    assert events[2].data["startDate"] is None
    assert events[2].data["dueDate"] == "2029-01-01T00:00:00Z"
