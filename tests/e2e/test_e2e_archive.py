"""Archive and restore end to end through the gateway: archived lists, tasks and boards leave
every normal read and are listed with ``?archived=true``; a restore puts them back where they
were; a list's archive takes its tasks and its restore brings back exactly those; a task whose
list is archived says so and may go to another list; permanent delete only of what is
archived; the roles; the activity entries and the socket pushes, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import SocketClient
from tests.e2e.boards_helpers import (
    User,
    add_member,
    all_tasks,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)

WITHIN = 20.0  # REST write -> outbox -> task cascade -> activity -> push, on a loaded machine


@pytest_asyncio.fixture(loop_scope="session")
async def sockets(stack: Stack) -> AsyncIterator[list[SocketClient]]:
    opened: list[SocketClient] = []
    yield opened
    for client in opened:
        await client.close()


async def _socket(stack: Stack, sockets: list[SocketClient], user: User, board_id: str) -> Any:
    socket = SocketClient()
    await socket.connect(stack.gateway_url, user.token)
    sockets.append(socket)
    ack = await socket.join(board_id)
    assert ack["ok"] is True, ack
    return socket


async def _ids(http: aiohttp.ClientSession, user: User, path: str) -> list[str]:
    body = await ok(http, user, "GET", path)
    items = body["items"] if isinstance(body, dict) else body
    return [item["id"] for item in items]


async def _live(http: aiohttp.ClientSession, user: User, board_id: str) -> list[str]:
    everything = await ok(http, user, "GET", f"api/boards/{board_id}/tasks?all=true")
    paged = [task["id"] for task in await all_tasks(http, user, board_id)]
    assert [task["id"] for task in everything["items"]] == paged
    return paged


async def test_a_list_archive_takes_its_tasks_and_the_restore_brings_back_exactly_those(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada, "Archive")
    await add_member(http, ada, board["id"], bob, "editor")
    todo = await create_list(http, ada, board["id"], "To do")
    done = await create_list(http, ada, board["id"], "Done")
    alone = await create_task(http, ada, board["id"], todo["id"], "Alone")
    taken = [await create_task(http, ada, board["id"], todo["id"], f"T{i}") for i in range(2)]
    other = await create_task(http, ada, board["id"], done["id"], "Other")
    watcher = await _socket(stack, sockets, ada, board["id"])
    bob_socket = await _socket(stack, sockets, bob, board["id"])

    # One card archived on its own first: it must stay archived when the list comes back.
    archived = await ok(http, bob, "POST", f"api/tasks/{alone['id']}/archive")
    assert archived["archivedAt"] is not None
    assert archived["archivedWithList"] is False
    list_path = f"api/lists/{todo['id']}"
    (await call(http, ada, "DELETE", list_path)).assert_problem(409)
    reply = await call(
        http, bob, "POST", f"{list_path}/archive", headers={"X-Socket-Id": bob_socket.sid}
    )
    assert reply.status == 200, reply.text
    assert reply.body["archivedAt"] is not None

    # Hidden from every normal read at once; listed with archived=true.
    board_read = await ok(http, ada, "GET", f"api/boards/{board['id']}")
    assert [item["id"] for item in board_read["lists"]] == [done["id"]]
    assert await _ids(http, ada, f"api/boards/{board['id']}/lists") == [done["id"]]
    assert await _ids(http, ada, f"api/boards/{board['id']}/lists?archived=true") == [todo["id"]]

    async def followed() -> bool:
        return await _live(http, ada, board["id"]) == [other["id"]]

    await wait_for(followed, within=WITHIN, what="the list's tasks to follow it")
    hidden = await ok(http, ada, "GET", f"api/boards/{board['id']}/tasks?archived=true")
    assert {t["id"]: t["archivedWithList"] for t in hidden["items"]} == {
        alone["id"]: False,
        **{t["id"]: True for t in taken},
    }
    # The card archived on its own cannot go back to an archived list: it says why.
    problem = (await call(http, ada, "POST", f"api/tasks/{alone['id']}/restore")).assert_problem(
        422
    )
    assert problem["errors"][0]["type"] == "list_archived"
    assert "archived" in problem["detail"]

    restored = await call(
        http, bob, "POST", f"{list_path}/restore", headers={"X-Socket-Id": bob_socket.sid}
    )
    assert restored.status == 200, restored.text
    assert restored.body["position"] == todo["position"]

    async def back() -> bool:
        return await _live(http, ada, board["id"]) == [*(t["id"] for t in taken), other["id"]]

    await wait_for(back, within=WITHIN, what="exactly the list's tasks to come back")
    assert await _ids(http, ada, f"api/boards/{board['id']}/tasks?archived=true") == [alone["id"]]
    for task in taken:
        again = await ok(http, ada, "GET", f"api/tasks/{task['id']}")
        assert (again["listId"], again["position"]) == (todo["id"], task["position"])

    # The log and the pushes, in order: the list's archive, then each task's; the restore,
    # then each task's.
    types = [
        "task.archived",
        "list.archived",
        "task.archived",
        "task.archived",
        "list.restored",
        "task.restored",
        "task.restored",
    ]

    async def all_pushed() -> bool:
        return [p["type"] for p in watcher.events if p["type"] in set(types)] == types

    await wait_for(all_pushed, within=WITHIN, what="every archive and restore pushed in order")
    seqs = [p["seq"] for p in watcher.events]
    assert seqs == sorted(seqs)
    log = await ok(http, ada, "GET", f"api/boards/{board['id']}/activity?limit=100")
    entries = [e for e in reversed(log["items"]) if e["type"] in set(types)]
    assert [e["type"] for e in entries] == types
    summaries = [e["summary"] for e in entries]
    # A cascade archives (and restores) the tasks concurrently: their order among them varies.
    assert summaries[:2] == ["Bob archived “Alone”", "Bob archived the list “To do”"]
    assert sorted(summaries[2:4]) == [
        "Bob archived “T0” with its list",
        "Bob archived “T1” with its list",
    ]
    assert summaries[4] == "Bob restored the list “To do”"
    assert sorted(summaries[5:]) == [
        "Bob restored “T0” with its list",
        "Bob restored “T1” with its list",
    ]
    assert [p["id"] for p in watcher.events if p["type"] in set(types)] == [
        e["id"] for e in entries
    ]
    # The archiver's socket is spared the list's archive and its cascade, like a deletion's;
    # every socket sees the tasks come back, the restorer's too (its answer is only the list).

    async def bob_has_them_back() -> bool:
        return len(bob_socket.of_type("task.restored")) == 2

    await wait_for(bob_has_them_back, within=WITHIN, what="the restorer's socket to see the tasks")
    bob_types = [p["type"] for p in bob_socket.events]
    assert "list.archived" not in bob_types
    assert "list.restored" not in bob_types
    # Only the card Bob archived without naming his socket reached it.
    assert [p["data"]["taskId"] for p in bob_socket.of_type("task.archived")] == [alone["id"]]


async def test_a_card_whose_list_is_archived_is_restored_to_another_list(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Elsewhere")
    gone = await create_list(http, ada, board["id"], "Gone")
    target = await create_list(http, ada, board["id"], "Target")
    task = await create_task(http, ada, board["id"], gone["id"], "Wanderer")
    stray = await create_task(http, ada, board["id"], gone["id"], "Stray")
    there = await create_task(http, ada, board["id"], target["id"], "There")
    await ok(http, ada, "POST", f"api/tasks/{task['id']}/archive")
    await ok(http, ada, "POST", f"api/lists/{gone['id']}/archive")
    problem = (await call(http, ada, "POST", f"api/tasks/{task['id']}/restore")).assert_problem(422)
    assert problem["errors"][0]["loc"] == ["body", "listId"]
    restored = await ok(
        http, ada, "POST", f"api/tasks/{task['id']}/restore", json_body={"listId": target["id"]}
    )
    assert restored["listId"] == target["id"]
    assert restored["archivedAt"] is None

    async def settled() -> bool:
        return await _live(http, ada, board["id"]) == [there["id"], task["id"]]

    await wait_for(settled, within=WITHIN, what="the stray card to follow its list")
    # The list deleted for good takes its tasks, archived ones included.
    await ok(http, ada, "DELETE", f"api/lists/{gone['id']}", 204)
    (await call(http, ada, "POST", f"api/lists/{gone['id']}/restore")).assert_problem(404)

    async def stray_gone() -> bool:
        return (await call(http, ada, "GET", f"api/tasks/{stray['id']}")).status == 404

    await wait_for(stray_gone, within=WITHIN, what="the deleted list's archived task to go")
    assert await _live(http, ada, board["id"]) == [there["id"], task["id"]]


async def test_permanent_delete_only_of_what_is_archived_and_only_by_who_may(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob, cy = [await register(http, name) for name in ("Ada", "Bob", "Cy")]
    board = await create_board(http, ada, "Deleting")
    await add_member(http, ada, board["id"], bob, "editor")
    await add_member(http, ada, board["id"], cy, "viewer")
    todo = await create_list(http, ada, board["id"], "To do")
    task = await create_task(http, ada, board["id"], todo["id"], "Card")
    board_path = f"api/boards/{board['id']}"
    for path in (f"api/tasks/{task['id']}", f"api/lists/{todo['id']}", board_path):
        problem = (await call(http, ada, "DELETE", path)).assert_problem(409)
        assert "archive" in problem["detail"]
    # Viewers archive nothing; editors lists and cards but not the board.
    for path in (f"api/tasks/{task['id']}", f"api/lists/{todo['id']}", board_path):
        (await call(http, cy, "POST", f"{path}/archive")).assert_problem(403)
    (await call(http, bob, "POST", f"{board_path}/archive")).assert_problem(403)
    await ok(http, bob, "POST", f"api/tasks/{task['id']}/archive")
    (await call(http, cy, "DELETE", f"api/tasks/{task['id']}")).assert_problem(403)
    await ok(http, bob, "DELETE", f"api/tasks/{task['id']}", 204)
    (await call(http, ada, "GET", f"api/tasks/{task['id']}")).assert_problem(404)

    # An archived board leaves its members' board lists, stays readable, and comes back.
    await ok(http, ada, "POST", f"{board_path}/archive")
    for user in (ada, bob, cy):
        assert board["id"] not in await _ids(http, user, "api/boards?limit=100")
        assert board["id"] in await _ids(http, user, "api/boards?limit=100&archived=true")
        assert (await ok(http, user, "GET", board_path))["archivedAt"] is not None
    await ok(http, ada, "POST", f"{board_path}/restore")
    assert board["id"] in await _ids(http, bob, "api/boards?limit=100")
    await ok(http, ada, "POST", f"{board_path}/archive")
    await ok(http, ada, "DELETE", board_path, 204)
    (await call(http, bob, "GET", board_path)).assert_problem(404)
