"""Labels and dates end to end through the gateway: a board's labels are made, renamed,
recoloured and deleted by owners and editors (viewers 403, outsiders 404), attached to tasks by
id; a rename shows on every task at once (tasks hold ids); a deleted label leaves every task;
another board's label is refused; start and due dates are checked against each other; the
activity log tells it in sentences."""

from __future__ import annotations

from typing import Any

import aiohttp

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    all_tasks,
    call,
    cast,
    create_board,
    create_label,
    create_list,
    create_task,
    ok,
)

WITHIN = 15.0  # an event through the broker to the task or activity service, on a busy machine


async def _board(http: aiohttp.ClientSession, users: dict[str, User], title: str) -> Any:
    board = await create_board(http, users["owner"], title)
    await add_member(http, users["owner"], board["id"], users["editor"], "editor")
    await add_member(http, users["owner"], board["id"], users["viewer"], "viewer")
    return board


async def test_labels_are_the_boards_and_follow_every_change(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, editor, viewer, outsider = (users[k] for k in ("owner", "editor", "viewer", "outsider"))
    board = await _board(http, users, "Labels")
    todo = await create_list(http, owner, board["id"], "To do")
    base = f"api/boards/{board['id']}/labels"

    bug = await create_label(http, editor, board["id"], "Bug", "red")
    docs = await create_label(http, owner, board["id"], "Docs", "blue")
    assert bug["background"] == "#F87168"
    shown = await ok(http, viewer, "GET", f"api/boards/{board['id']}")
    assert [(label["name"], label["color"]) for label in shown["labels"]] == [
        ("Bug", "red"),
        ("Docs", "blue"),
    ]

    # Roles: viewers may not write (403), outsiders learn nothing (404).
    for user, status in ((viewer, 403), (outsider, 404)):
        reply = await call(http, user, "POST", base, json_body={"name": "X", "color": "red"})
        reply.assert_problem(status)
        reply = await call(http, user, "PATCH", f"{base}/{bug['id']}", json_body={"name": "X"})
        reply.assert_problem(status)
        reply = await call(http, user, "DELETE", f"{base}/{bug['id']}")
        reply.assert_problem(status)
    (await call(http, outsider, "GET", base)).assert_problem(404)

    first = await create_task(
        http, editor, board["id"], todo["id"], "First", labelIds=[bug["id"], docs["id"]]
    )
    second = await create_task(http, owner, board["id"], todo["id"], "Second")
    second = await ok(
        http, editor, "PATCH", f"api/tasks/{second['id']}", json_body={"labelIds": [bug["id"]]}
    )
    assert second["labelIds"] == [bug["id"]]
    (
        await call(http, viewer, "PATCH", f"api/tasks/{second['id']}", json_body={"labelIds": []})
    ).assert_problem(403)

    # A rename and a recolour: tasks keep the id, the board shows the new label.
    renamed = await ok(
        http,
        editor,
        "PATCH",
        f"{base}/{bug['id']}",
        json_body={"name": "Defect", "color": "purple"},
    )
    assert renamed == {**bug, "name": "Defect", "color": "purple", "background": "#9F8FEF"}
    labels = {item["id"]: item for item in await ok(http, viewer, "GET", base)}
    assert labels[bug["id"]]["name"] == "Defect"
    assert (await ok(http, owner, "GET", f"api/tasks/{first['id']}"))["labelIds"] == [
        bug["id"],
        docs["id"],
    ]

    # Deleting a label takes it off every task.
    assert (await call(http, editor, "DELETE", f"{base}/{bug['id']}")).status == 204
    assert [item["id"] for item in await ok(http, owner, "GET", base)] == [docs["id"]]

    async def detached() -> bool:
        tasks = {task["id"]: task for task in await all_tasks(http, owner, board["id"])}
        return (
            tasks[first["id"]]["labelIds"] == [docs["id"]] and tasks[second["id"]]["labelIds"] == []
        )

    await wait_for(detached, within=WITHIN, what="the deleted label to leave every task")
    reply = await call(
        http, owner, "PATCH", f"api/tasks/{first['id']}", json_body={"labelIds": [bug["id"]]}
    )
    assert reply.assert_problem(422)["errors"][0]["loc"] == ["body", "labelIds", "0"]

    # Another board's label is refused, on create and on edit.
    other = await create_board(http, owner, "Other")
    theirs = await create_label(http, owner, other["id"], "Theirs", "green")
    reply = await call(
        http,
        owner,
        "POST",
        f"api/boards/{board['id']}/tasks",
        json_body={"listId": todo["id"], "title": "T", "labelIds": [docs["id"], theirs["id"]]},
    )
    assert reply.assert_problem(422)["errors"][0]["loc"] == ["body", "labelIds", "1"]
    reply = await call(
        http, owner, "PATCH", f"api/tasks/{first['id']}", json_body={"labelIds": [theirs["id"]]}
    )
    reply.assert_problem(422)
    (
        await call(http, owner, "PATCH", f"api/boards/{other['id']}/labels/{docs['id']}",
                   json_body={"name": "x"})
    ).assert_problem(404)  # fmt: skip

    async def told() -> list[str]:
        page = await ok(http, owner, "GET", f"api/boards/{board['id']}/activity?limit=100")
        return [entry["summary"] for entry in page["items"]]

    async def logged() -> bool:
        summaries = await told()
        return f"{editor.name} deleted the label “Defect”" in summaries and any(
            "changed the labels of “First”" in summary for summary in summaries
        )

    await wait_for(logged, within=WITHIN, what="the label changes in the activity log")
    summaries = await told()
    assert f"{editor.name} created the label “Bug” (red)" in summaries
    assert f"{editor.name} renamed a label to “Defect” and made it purple" in summaries


async def test_dates_and_done(stack: Stack, http: aiohttp.ClientSession) -> None:
    users = await cast(http, stack.gateway_url)
    owner, editor = users["owner"], users["editor"]
    board = await _board(http, users, "Dates")
    todo = await create_list(http, owner, board["id"], "To do")
    reply = await call(
        http,
        owner,
        "POST",
        f"api/boards/{board['id']}/tasks",
        json_body={
            "listId": todo["id"],
            "title": "Backwards",
            "startDate": "2030-02-01",
            "dueDate": "2030-01-01",
        },
    )
    assert reply.assert_problem(422)["errors"][0]["loc"] == ["body", "startDate"]
    task = await create_task(
        http, owner, board["id"], todo["id"], "Launch", startDate="2030-01-01", dueDate="2030-01-10"
    )
    assert task["startDate"] == "2030-01-01T00:00:00Z"
    assert task["dueComplete"] is False
    path = f"api/tasks/{task['id']}"
    reply = await call(http, editor, "PATCH", path, json_body={"dueDate": "2029-12-31"})
    assert reply.assert_problem(422)["errors"][0]["loc"] == ["body", "dueDate"]
    (await call(http, editor, "PATCH", path, json_body={"dueComplete": None})).assert_problem(422)
    done = await ok(http, editor, "PATCH", path, json_body={"dueComplete": True})
    assert done["dueComplete"] is True
    assert done["version"] == 2
    cleared = await ok(http, editor, "PATCH", path, json_body={"startDate": None, "dueDate": None})
    assert (cleared["startDate"], cleared["dueDate"], cleared["dueComplete"]) == (None, None, True)
    (
        await call(http, users["viewer"], "PATCH", path, json_body={"dueComplete": False})
    ).assert_problem(403)

    async def logged() -> bool:
        page = await ok(http, owner, "GET", f"api/boards/{board['id']}/activity?limit=100")
        return f"{editor.name} marked “Launch” complete" in [e["summary"] for e in page["items"]]

    await wait_for(logged, within=WITHIN, what="the completion in the activity log")
