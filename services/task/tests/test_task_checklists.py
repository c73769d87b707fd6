"""Checklists on a task through HTTP: ordering with anchors, ticking, progress on the task and
on the board load, events (task.checklist_* in the task's version sequence), limits and bad
input that changes nothing, roles, and a task's deletion taking its checklists along."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hintro_shared.authz import Role
from hintro_task.domain import CHECKLIST_ITEMS_MAX
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
async def board(harness: Harness) -> FakeBoard:
    return await harness.board(
        unique("owner"), members={unique("editor"): Role.EDITOR, unique("viewer"): Role.VIEWER}
    )


async def _checklist(
    harness: Harness, task_id: str, user: str, title: str = "Todo", **body: Any
) -> tuple[str, dict[str, Any]]:
    async with harness.client.post(
        f"/api/tasks/{task_id}/checklists",
        json={"title": title, **body},
        headers=harness.auth(user),
    ) as response:
        answer = await response.json()
        assert response.status == 201, answer
        return response.headers["Location"].rsplit("/", 1)[-1], answer


async def _item(
    harness: Harness, task_id: str, checklist_id: str, user: str, text: str, **body: Any
) -> tuple[str, dict[str, Any]]:
    async with harness.client.post(
        f"/api/tasks/{task_id}/checklists/{checklist_id}/items",
        json={"text": text, **body},
        headers=harness.auth(user),
    ) as response:
        answer = await response.json()
        assert response.status == 201, answer
        assert response.headers["ETag"] == f'"{answer["version"]}"'
        return response.headers["Location"].rsplit("/", 1)[-1], answer


def _texts(answer: dict[str, Any], index: int = 0) -> list[str]:
    return [item["text"] for item in answer["checklists"][index]["items"]]


async def test_items_are_placed_by_anchors_and_ticking_counts_progress(
    harness: Harness, board: FakeBoard
) -> None:
    editor = board.member_with(Role.EDITOR)
    task = await harness.create_task(board, editor)
    cid, answer = await _checklist(harness, task["id"], editor, "  Groceries  ")
    assert answer["checklists"] == [
        {
            "id": cid,
            "title": "Groceries",
            "position": answer["checklists"][0]["position"],
            "items": [],
        }
    ]
    assert answer["version"] == task["version"] + 1
    milk, _ = await _item(harness, task["id"], cid, editor, "Milk")
    eggs, _ = await _item(harness, task["id"], cid, editor, "Eggs", beforeId=milk)
    bread, answer = await _item(harness, task["id"], cid, editor, "Bread", afterId=eggs)
    assert _texts(answer) == ["Eggs", "Bread", "Milk"]

    status, answer = await harness.request(
        "POST",
        f"/api/tasks/{task['id']}/checklists/{cid}/items/{eggs}/move",
        editor,
        {"afterId": milk},
    )
    assert status == 200, answer
    assert _texts(answer) == ["Bread", "Milk", "Eggs"]

    status, answer = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}/checklists/{cid}/items/{milk}", editor, {"done": True}
    )
    assert status == 200
    assert answer["checklistProgress"] == {"done": 1, "total": 3}
    status, read = await harness.request("GET", f"/api/tasks/{task['id']}/checklists", editor)
    assert status == 200
    assert read == answer
    status, plain = await harness.request("GET", f"/api/tasks/{task['id']}", editor)
    assert plain["checklistProgress"] == {"done": 1, "total": 3}
    assert plain["version"] == answer["version"]
    assert "checklists" not in plain

    async with harness.client.get(
        f"/api/boards/{board.id}/tasks?all=true", headers=harness.auth(editor)
    ) as response:
        load = await response.json()
    (card,) = [t for t in load["items"] if t["id"] == task["id"]]
    assert card["checklistProgress"] == {"done": 1, "total": 3}
    assert "checklists" not in card
    assert bread


async def test_checklists_are_renamed_reordered_and_deleted_with_their_items(
    harness: Harness, board: FakeBoard
) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    first, _ = await _checklist(harness, task["id"], owner, "First")
    second, _ = await _checklist(harness, task["id"], owner, "Second")
    await _item(harness, task["id"], second, owner, "A", done=True)
    path = f"/api/tasks/{task['id']}/checklists"
    status, answer = await harness.request(
        "PATCH", f"{path}/{second}", owner, {"title": "Now first", "beforeId": first}
    )
    assert status == 200
    assert [c["title"] for c in answer["checklists"]] == ["Now first", "First"]
    assert answer["checklistProgress"] == {"done": 1, "total": 1}

    version = answer["version"]
    status, same = await harness.request("PATCH", f"{path}/{second}", owner, {"title": "Now first"})
    assert (status, same["version"]) == (200, version)  # nothing changed, nothing written

    status, answer = await harness.request("DELETE", f"{path}/{second}", owner)
    assert status == 200
    assert [c["id"] for c in answer["checklists"]] == [first]
    assert answer["checklistProgress"] == {"done": 0, "total": 0}


async def test_events_follow_the_task_version_and_carry_progress(
    harness: Harness, board: FakeBoard
) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner, title="Card")
    cid, _ = await _checklist(harness, task["id"], owner, "List")
    item, _ = await _item(harness, task["id"], cid, owner, "Buy milk")
    base = f"/api/tasks/{task['id']}/checklists/{cid}"
    await harness.request("PATCH", f"{base}/items/{item}", owner, {"done": True})
    await harness.request("POST", f"{base}/items/{item}/move", owner, {})
    await harness.request("DELETE", f"{base}/items/{item}", owner)
    await harness.request("PATCH", base, owner, {"title": "Renamed"})
    await harness.request("DELETE", base, owner)
    events = await harness.wait_events(task["id"], 8)
    assert [e.type for e in events] == [
        "task.created",
        "task.checklist_created",
        "task.checklist_item_created",
        "task.checklist_item_updated",
        "task.checklist_item_moved",
        "task.checklist_item_deleted",
        "task.checklist_updated",
        "task.checklist_deleted",
    ]
    assert [e.data["version"] for e in events] == list(range(1, 9))
    ticked = events[3].data
    assert ticked["done"] is True
    assert ticked["text"] == "Buy milk"
    assert ticked["title"] == "Card"
    assert ticked["checklistProgress"] == {"done": 1, "total": 1}
    assert "assigneeId" not in ticked
    assert events[5].data["checklistProgress"] == {"done": 0, "total": 0}
    assert all(e.actor_id == owner for e in events)


async def test_item_assignee_and_due_date(harness: Harness, board: FakeBoard) -> None:
    editor = board.member_with(Role.EDITOR)
    task = await harness.create_task(board, editor)
    cid, _ = await _checklist(harness, task["id"], editor)
    item, answer = await _item(
        harness, task["id"], cid, editor, "Call", assigneeId=board.owner, dueDate="2027-01-02"
    )
    got = answer["checklists"][0]["items"][0]
    assert (got["assigneeId"], got["dueDate"]) == (board.owner, "2027-01-02T00:00:00Z")
    path = f"/api/tasks/{task['id']}/checklists/{cid}/items/{item}"
    status, answer = await harness.request(
        "PATCH", path, editor, {"assigneeId": None, "dueDate": None}
    )
    assert status == 200
    got = answer["checklists"][0]["items"][0]
    assert (got["assigneeId"], got["dueDate"]) == (None, None)
    status, problem = await harness.request("PATCH", path, editor, {"assigneeId": "stranger"})
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "assigneeId"]


async def test_bad_input_is_refused_and_changes_nothing(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    other = await harness.create_task(board, owner)
    cid, _ = await _checklist(harness, task["id"], owner)
    foreign, _ = await _checklist(harness, other["id"], owner)
    item, before = await _item(harness, task["id"], cid, owner, "One")
    base = f"/api/tasks/{task['id']}/checklists"
    refused: list[tuple[str, str, Any, int, list[str] | None]] = [
        ("POST", base, {"title": ""}, 422, None),
        ("POST", base, {"title": "x" * 201}, 422, None),
        ("POST", base, {"title": "x", "colour": "red"}, 422, None),
        ("POST", base, {"title": "x", "afterId": foreign}, 422, ["body", "afterId"]),
        ("POST", f"{base}/{cid}/items", {"text": "   "}, 422, None),
        ("POST", f"{base}/{cid}/items", {"text": "y" * 1001}, 422, None),
        ("POST", f"{base}/{cid}/items", {"text": "y", "afterId": "nope"}, 422, ["body", "afterId"]),
        ("PATCH", f"{base}/{cid}/items/{item}", {"done": None}, 422, None),
        ("PATCH", f"{base}/{cid}/items/{item}", {"done": "maybe"}, 422, None),
        ("POST", f"{base}/{cid}/items/{item}/move", {"afterId": item}, 422, ["body", "afterId"]),
        (
            "POST",
            f"{base}/{cid}/items/{item}/move",
            {"checklistId": foreign},
            422,
            ["body", "checklistId"],
        ),
        ("PATCH", f"{base}/{foreign}", {"title": "x"}, 404, None),
        ("DELETE", f"{base}/{cid}/items/missing", None, 404, None),
        ("PATCH", f"{base}/{cid}", {"title": "x"}, 412, None),
    ]
    for method, path, body, expected, loc in refused:
        headers = {"If-Match": '"1"'} if expected == 412 else {}
        status, problem = await harness.request(method, path, owner, body, **headers)
        assert status == expected, (method, path, body, problem)
        if loc is not None:
            assert problem["errors"][0]["loc"] == loc
    status, after = await harness.request("GET", base, owner)
    assert status == 200
    assert after == before


async def test_a_checklist_holds_at_most_the_item_limit(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    cid, _ = await _checklist(harness, task["id"], owner)
    for n in range(CHECKLIST_ITEMS_MAX):
        await _item(harness, task["id"], cid, owner, f"item {n}")
    status, problem = await harness.request(
        "POST", f"/api/tasks/{task['id']}/checklists/{cid}/items", owner, {"text": "one more"}
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["path", "checklistId"]


async def test_roles_viewers_read_only_non_members_see_nothing(
    harness: Harness, board: FakeBoard
) -> None:
    owner, viewer = board.owner, board.member_with(Role.VIEWER)
    task = await harness.create_task(board, owner)
    cid, _ = await _checklist(harness, task["id"], owner)
    item, _ = await _item(harness, task["id"], cid, owner, "One")
    base = f"/api/tasks/{task['id']}/checklists"
    writes: list[tuple[str, str, Any]] = [
        ("POST", base, {"title": "x"}),
        ("PATCH", f"{base}/{cid}", {"title": "x"}),
        ("DELETE", f"{base}/{cid}", None),
        ("POST", f"{base}/{cid}/items", {"text": "x"}),
        ("PATCH", f"{base}/{cid}/items/{item}", {"done": True}),
        ("POST", f"{base}/{cid}/items/{item}/move", {}),
        ("DELETE", f"{base}/{cid}/items/{item}", None),
    ]
    status, _ = await harness.request("GET", base, viewer)
    assert status == 200
    stranger = unique("stranger")
    status, _ = await harness.request("GET", base, stranger)
    assert status == 404
    for method, path, body in writes:
        status, _ = await harness.request(method, path, viewer, body)
        assert status == 403, (method, path)
        status, _ = await harness.request(method, path, stranger, body)
        assert status == 404, (method, path)


async def test_concurrent_ticks_all_count(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    cid, _ = await _checklist(harness, task["id"], owner)
    items = [(await _item(harness, task["id"], cid, owner, f"i{n}"))[0] for n in range(6)]
    base = f"/api/tasks/{task['id']}/checklists/{cid}/items"
    answers = await asyncio.gather(
        *(harness.request("PATCH", f"{base}/{i}", owner, {"done": True}) for i in items)
    )
    assert all(status == 200 for status, _ in answers)
    status, read = await harness.request("GET", f"/api/tasks/{task['id']}/checklists", owner)
    assert status == 200
    assert read["checklistProgress"] == {"done": 6, "total": 6}


async def test_deleting_the_task_takes_its_checklists(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    cid, _ = await _checklist(harness, task["id"], owner)
    await _item(harness, task["id"], cid, owner, "One")
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", owner)
    assert status == 204
    status, _ = await harness.request("GET", f"/api/tasks/{task['id']}/checklists", owner)
    assert status == 404
    status, _ = await harness.request(
        "POST", f"/api/tasks/{task['id']}/checklists/{cid}/items", owner, {"text": "x"}
    )
    assert status == 404
    events = await harness.wait_events(task["id"], 5)
    assert [e.type for e in events][-2:] == ["task.archived", "task.deleted"]


async def test_an_archived_task_keeps_its_checklists_read_only_until_restored(
    harness: Harness, board: FakeBoard
) -> None:
    owner = board.owner
    task = await harness.create_task(board, owner)
    cid, before = await _checklist(harness, task["id"], owner)
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    base = f"/api/tasks/{task['id']}/checklists"
    status, _ = await harness.request("POST", f"{base}/{cid}/items", owner, {"text": "x"})
    assert status == 409
    status, read = await harness.request("GET", base, owner)
    assert status == 200
    assert read["checklists"] == before["checklists"]
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/restore", owner, {})
    assert status == 200
    await _item(harness, task["id"], cid, owner, "after restore")
    events = await harness.wait_events(task["id"], 5)
    restored = next(e for e in events if e.type == "task.restored")
    assert restored.data["checklistProgress"] == {"done": 0, "total": 0}
