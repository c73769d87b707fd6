"""Given ids (docs/api.md, "Given ids") on the task service: a task, checklist, item or comment
created with an ``id`` of the client's is made once; the same create again answers ``200`` with
it and changes nothing (no new version, no event); an id used elsewhere is ``409``. And a
comment marked ``imported`` keeps its author's name and date from the other tool."""

from __future__ import annotations

import uuid

import pytest

from hintro_testkit.infra import unique
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


def _id() -> str:
    return uuid.uuid4().hex


async def test_a_task_and_its_checklist_item_and_comment_are_made_once(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    task_id, checklist_id, item_id, comment_id = _id(), _id(), _id(), _id()
    tasks = f"/api/boards/{board.id}/tasks"
    body = {"id": task_id, "listId": board.lists[0].id, "title": "Imported"}
    status, made = await harness.request("POST", tasks, owner, body)
    assert (status, made["id"]) == (201, task_id)
    status, again = await harness.request("POST", tasks, owner, {**body, "title": "Other"})
    assert (status, again["title"], again["version"]) == (200, "Imported", 1)

    checklists = f"/api/tasks/{task_id}/checklists"
    status, made = await harness.request(
        "POST", checklists, owner, {"id": checklist_id, "title": "C"}
    )
    assert status == 201
    status, again = await harness.request(
        "POST", checklists, owner, {"id": checklist_id, "title": "C"}
    )
    assert status == 200
    assert [c["id"] for c in again["checklists"]] == [checklist_id]
    items = f"{checklists}/{checklist_id}/items"
    status, made = await harness.request(
        "POST", items, owner, {"id": item_id, "text": "I", "done": True}
    )
    assert status == 201
    version = made["version"]
    status, again = await harness.request("POST", items, owner, {"id": item_id, "text": "I"})
    assert (status, again["version"]) == (200, version)
    assert [(i["id"], i["done"]) for i in again["checklists"][0]["items"]] == [(item_id, True)]
    # The item's id is taken in this task: another checklist cannot reuse it.
    status, other = await harness.request("POST", checklists, owner, {"title": "D"})
    other_id = other["checklists"][1]["id"]
    status, _ = await harness.request(
        "POST", f"{checklists}/{other_id}/items", owner, {"id": item_id, "text": "I"}
    )
    assert status == 409

    comments = f"/api/tasks/{task_id}/comments"
    imported = {"authorName": "Ada Lovelace", "createdAt": "2026-02-01T09:30:00Z"}
    body = {"id": comment_id, "text": "Hi <b>there</b>", "imported": imported}
    status, made = await harness.request("POST", comments, owner, body)
    assert status == 201, made
    assert made["imported"]["authorName"] == "Ada Lovelace"
    assert made["imported"]["createdAt"].startswith("2026-02-01T09:30:00")
    assert made["authorId"] == owner
    status, again = await harness.request("POST", comments, owner, body)
    assert (status, again["id"]) == (200, comment_id)
    status, page = await harness.request("GET", comments, owner)
    assert [(c["id"], c["text"], c["imported"]["authorName"]) for c in page["items"]] == [
        (comment_id, "Hi <b>there</b>", "Ada Lovelace")
    ]
    status, task = await harness.request("GET", f"/api/tasks/{task_id}", owner)
    assert task["commentCount"] == 1

    # A plain comment says it was not imported.
    status, plain = await harness.request("POST", comments, owner, {"text": "Mine"})
    assert (status, plain["imported"]) == (201, None)

    # The task id on another board is taken.
    elsewhere = await harness.board(owner)
    body = {"id": task_id, "listId": elsewhere.lists[0].id, "title": "T"}
    status, _ = await harness.request("POST", f"/api/boards/{elsewhere.id}/tasks", owner, body)
    assert status == 409
    events = await harness.wait_events(task_id, 6)  # created, 2 checklists, item, 2 comments
    assert [e.type for e in events].count("task.created") == 1
    assert [e.type for e in events].count("task.checklist_item_created") == 1
