"""Cascades and access changes end to end through the gateway: a deleted list takes its tasks,
a deleted board its lists and tasks; a removed (or demoted) member loses access to the board at
once and to its tasks within a second; an added (or promoted) member may act as soon as the
call that added them has returned."""

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
    create_list,
    create_task,
    ok,
)

# Deleting a list or a board reaches the task service as an event; this bounds the delay.
CASCADE_WITHIN = 5.0


async def _status(http: aiohttp.ClientSession, user: User, method: str, path: str) -> int:
    return (await call(http, user, method, path)).status


async def test_deleting_a_list_removes_its_tasks_only(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board = await create_board(http, owner, "List cascade")
    doomed = await create_list(http, owner, board["id"], "Doomed")
    kept = await create_list(http, owner, board["id"], "Kept")
    gone = [
        (await create_task(http, owner, board["id"], doomed["id"], f"G{i}"))["id"] for i in range(3)
    ]
    stay = [
        (await create_task(http, owner, board["id"], kept["id"], f"S{i}"))["id"] for i in range(2)
    ]

    assert await _status(http, owner, "DELETE", f"api/lists/{doomed['id']}") == 409
    assert await _status(http, owner, "POST", f"api/lists/{doomed['id']}/archive") == 200
    assert await _status(http, owner, "DELETE", f"api/lists/{doomed['id']}") == 204

    # The board service forgets the list at once.
    lists = await ok(http, owner, "GET", f"api/boards/{board['id']}/lists")
    assert [item["id"] for item in lists] == [kept["id"]]
    renamed = await call(
        http, owner, "PATCH", f"api/lists/{doomed['id']}", json_body={"title": "Back?"}
    )
    renamed.assert_problem(404)

    async def tasks_gone() -> bool:
        statuses = [await _status(http, owner, "GET", f"api/tasks/{task}") for task in gone]
        listed = [task["id"] for task in await all_tasks(http, owner, board["id"])]
        return statuses == [404] * len(gone) and listed == stay

    await wait_for(tasks_gone, within=CASCADE_WITHIN, what="the list's tasks to go")
    for task in stay:
        assert await _status(http, owner, "GET", f"api/tasks/{task}") == 200
    # Nothing can be put into the deleted list any more.
    reply = await call(
        http,
        owner,
        "POST",
        f"api/boards/{board['id']}/tasks",
        json_body={"listId": doomed["id"], "title": "Late"},
    )
    reply.assert_problem(422)
    moved = await call(
        http, owner, "POST", f"api/tasks/{stay[0]}/move", json_body={"listId": doomed["id"]}
    )
    moved.assert_problem(422)


async def test_deleting_a_board_removes_its_lists_and_tasks(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, editor = users["owner"], users["editor"]
    board = await create_board(http, owner, "Board cascade")
    await add_member(http, owner, board["id"], editor)
    first = await create_list(http, owner, board["id"], "One")
    second = await create_list(http, owner, board["id"], "Two")
    tasks = [
        (await create_task(http, owner, board["id"], list_id, f"T{i}"))["id"]
        for i, list_id in enumerate((first["id"], second["id"], second["id"]))
    ]

    assert await _status(http, owner, "DELETE", f"api/boards/{board['id']}") == 409
    assert await _status(http, owner, "POST", f"api/boards/{board['id']}/archive") == 200
    assert await _status(http, owner, "DELETE", f"api/boards/{board['id']}") == 204

    for user in (owner, editor):
        assert await _status(http, user, "GET", f"api/boards/{board['id']}") == 404
        assert await _status(http, user, "GET", f"api/boards/{board['id']}/lists") == 404
        for list_id in (first["id"], second["id"]):
            assert await _status(http, user, "DELETE", f"api/lists/{list_id}") == 404
        for listing in ("api/boards?limit=100", "api/boards?limit=100&archived=true"):
            listed = await ok(http, user, "GET", listing)
            assert board["id"] not in {item["id"] for item in listed["items"]}

    async def tasks_gone() -> bool:
        statuses = [await _status(http, owner, "GET", f"api/tasks/{task}") for task in tasks]
        listing = await _status(http, owner, "GET", f"api/boards/{board['id']}/tasks")
        return statuses == [404] * len(tasks) and listing == 404

    await wait_for(tasks_gone, within=CASCADE_WITHIN, what="the board's tasks to go")
    reply = await call(
        http,
        owner,
        "POST",
        f"api/boards/{board['id']}/tasks",
        json_body={"listId": first["id"], "title": "Late"},
    )
    reply.assert_problem(404)


async def test_a_removed_member_loses_access_to_board_and_tasks_within_a_second(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, member = users["owner"], users["editor"]
    board = await create_board(http, owner, "Removal")
    await add_member(http, owner, board["id"], member)
    todo = await create_list(http, owner, board["id"], "To do")
    task = await create_task(http, member, board["id"], todo["id"], "Mine")
    # The task service has seen the membership (it served the create): access is warm.
    await ok(http, member, "GET", f"api/tasks/{task['id']}")

    assert (
        await _status(http, owner, "DELETE", f"api/boards/{board['id']}/members/{member.id}") == 204
    )

    assert await _status(http, member, "GET", f"api/boards/{board['id']}") == 404

    async def cut_off() -> bool:
        return all(
            [
                await _status(http, member, "GET", f"api/tasks/{task['id']}") == 404,
                await _status(http, member, "GET", f"api/boards/{board['id']}/tasks") == 404,
            ]
        )

    await wait_for(cut_off, within=1.0, what="the removed member to lose task access")
    for method, path, body in (
        ("PATCH", f"api/tasks/{task['id']}", {"title": "Still mine?"}),
        ("POST", f"api/tasks/{task['id']}/move", {"listId": todo["id"]}),
        ("DELETE", f"api/tasks/{task['id']}", None),
        ("POST", f"api/boards/{board['id']}/tasks", {"listId": todo["id"], "title": "More"}),
    ):
        kwargs: dict[str, Any] = {} if body is None else {"json_body": body}
        (await call(http, member, method, path, **kwargs)).assert_problem(404)
    after = await ok(http, owner, "GET", f"api/tasks/{task['id']}")
    assert (after["title"], after["version"]) == ("Mine", task["version"])


async def test_a_demoted_editor_loses_write_access_within_a_second(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, member = users["owner"], users["editor"]
    board = await create_board(http, owner, "Demotion")
    await add_member(http, owner, board["id"], member)
    todo = await create_list(http, owner, board["id"], "To do")
    task = await create_task(http, member, board["id"], todo["id"], "Mine")

    await ok(
        http,
        owner,
        "PATCH",
        f"api/boards/{board['id']}/members/{member.id}",
        json_body={"role": "viewer"},
    )

    async def read_only() -> bool:
        # The same title: were it still allowed, it would change nothing.
        patch = await call(
            http, member, "PATCH", f"api/tasks/{task['id']}", json_body={"title": "Mine"}
        )
        return patch.status == 403

    await wait_for(read_only, within=1.0, what="the demoted member to lose write access")
    edit = await call(http, member, "PATCH", f"api/tasks/{task['id']}", json_body={"title": "Edit"})
    edit.assert_problem(403)
    after = await ok(http, member, "GET", f"api/tasks/{task['id']}")
    assert (after["title"], after["version"]) == ("Mine", task["version"])
    board_patch = await call(
        http, member, "PATCH", f"api/boards/{board['id']}", json_body={"title": "Edit"}
    )
    board_patch.assert_problem(403)


async def test_a_new_member_can_create_a_task_as_soon_as_added(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, newcomer, viewer = users["owner"], users["outsider"], users["viewer"]
    # The board service learns of users from user.registered: make sure it knows the newcomer.
    scratch = await create_board(http, owner, "Scratch")
    await add_member(http, owner, scratch["id"], newcomer)
    for round_number in range(5):  # several fresh boards: the projection must never be needed
        board = await create_board(http, owner, f"Newcomer {round_number}")
        todo = await create_list(http, owner, board["id"], "To do")
        await add_member(http, owner, board["id"], viewer, "viewer")
        body = {"listId": todo["id"], "title": "Hello"}
        path = f"api/boards/{board['id']}/tasks"
        # Not a member yet: 404 (and the task service now holds "not a member").
        (await call(http, newcomer, "POST", path, json_body=body)).assert_problem(404)
        # A viewer cannot create (and the task service has seen them as a viewer).
        (await call(http, viewer, "POST", path, json_body=body)).assert_problem(403)

        await ok(
            http,
            owner,
            "POST",
            f"api/boards/{board['id']}/members",
            201,
            json_body={"userId": newcomer.id, "role": "editor"},
        )
        created = await ok(http, newcomer, "POST", path, 201, json_body=body)
        assert created["createdBy"] == newcomer.id

        await ok(
            http,
            owner,
            "PATCH",
            f"api/boards/{board['id']}/members/{viewer.id}",
            json_body={"role": "editor"},
        )
        promoted = await ok(http, viewer, "POST", path, 201, json_body=body)
        assert promoted["createdBy"] == viewer.id
        # The newcomer may also be assigned at once (a member as of now).
        assigned = await ok(
            http, owner, "PUT", f"api/tasks/{promoted['id']}/assignees/{newcomer.id}"
        )
        assert assigned["assigneeIds"] == [newcomer.id]
