"""Loading a board the way a client does, through the gateway: the board (with its lists and
members) and every task in two requests, gzip passed through untouched, ETags that change
whenever the body does and 304 when it did not, unknown query parameters refused, cascaded
deletions announced task by task, and the documents a client generator reads."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio
from multidict import CIMultiDict

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import SocketClient
from tests.e2e.boards_helpers import (
    User,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)

WITHIN = 20.0


@pytest_asyncio.fixture(loop_scope="session")
async def sockets(stack: Stack) -> AsyncIterator[list[SocketClient]]:
    opened: list[SocketClient] = []
    yield opened
    for client in opened:
        await client.close()


async def raw_get(
    http: aiohttp.ClientSession, user: User, path: str, **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    """A GET whose body is returned exactly as the gateway sent it (no decompression)."""
    async with http.get(path, headers={**user.auth, **headers}, auto_decompress=False) as response:
        return response.status, response.headers.copy(), await response.read()


async def etag_of(http: aiohttp.ClientSession, user: User, path: str) -> str:
    reply = await call(http, user, "GET", path)
    assert reply.status == 200, reply.text
    return reply.headers["ETag"]


async def assert_304(http: aiohttp.ClientSession, user: User, path: str, etag: str) -> None:
    status, headers, body = await raw_get(http, user, path, **{"If-None-Match": etag})
    assert (status, body) == (304, b""), path
    assert headers["ETag"] == etag


async def test_a_board_loads_in_two_requests_compressed_once(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Load")
    lists = [await create_list(http, ada, board["id"], f"L{i}") for i in range(3)]
    made = [
        await create_task(http, ada, board["id"], lists[i % 3]["id"], f"Task {i} " + "x" * 150)
        for i in range(12)
    ]
    tasks_path = f"api/boards/{board['id']}/tasks?all=true"
    (board_status, _, board_raw), (status, headers, raw) = await asyncio.gather(
        raw_get(http, ada, f"api/boards/{board['id']}", **{"Accept-Encoding": "identity"}),
        raw_get(http, ada, tasks_path, **{"Accept-Encoding": "gzip"}),
    )
    assert board_status == 200
    assert [item["id"] for item in json.loads(board_raw)["lists"]] == [x["id"] for x in lists]
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    # Compressed exactly once: one gunzip gives the JSON (the gateway did not compress again).
    body = json.loads(gzip.decompress(raw))
    order = {item["id"]: index for index, item in enumerate(lists)}
    expected = sorted(made, key=lambda t: (order[t["listId"]], t["position"]))
    assert body == {"items": expected, "next": None}
    # A client that takes no gzip gets the same JSON, plain.
    status, plain_headers, plain = await raw_get(
        http, ada, tasks_path, **{"Accept-Encoding": "identity"}
    )
    assert status == 200
    assert "Content-Encoding" not in plain_headers
    assert json.loads(plain) == body
    assert plain_headers["ETag"] == headers["ETag"]
    # Without all=true the cursor pages work as before.
    page = await ok(http, ada, "GET", f"api/boards/{board['id']}/tasks?limit=5")
    assert page["items"] == expected[:5]
    assert page["next"]


async def test_every_cacheable_read_has_an_etag_that_follows_its_body(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Tags")
    board_path = f"api/boards/{board['id']}"
    tasks_path = f"{board_path}/tasks?all=true"
    activity_path = f"{board_path}/activity"

    # The board: every list change changes its ETag, though the board's version stays.
    tags = [await etag_of(http, ada, board_path)]
    await assert_304(http, ada, board_path, tags[-1])
    todo = await create_list(http, ada, board["id"], "To do")
    done = await create_list(http, ada, board["id"], "Done")
    tags.append(await etag_of(http, ada, board_path))
    await ok(http, ada, "PATCH", f"api/lists/{todo['id']}", json_body={"title": "Backlog"})
    tags.append(await etag_of(http, ada, board_path))
    await ok(http, ada, "PATCH", f"api/lists/{todo['id']}", json_body={"afterId": done["id"]})
    tags.append(await etag_of(http, ada, board_path))
    await ok(http, ada, "POST", f"api/lists/{todo['id']}/archive")
    tags.append(await etag_of(http, ada, board_path))
    await ok(http, ada, "POST", f"api/lists/{todo['id']}/restore")
    tags.append(await etag_of(http, ada, board_path))
    assert len(set(tags)) == len(tags), tags
    await ok(http, ada, "POST", f"api/lists/{todo['id']}/archive")
    await ok(http, ada, "DELETE", f"api/lists/{todo['id']}", 204)
    # The same lists as after the first archive (only "Done"): the same body, the same tag.
    tags.append(await etag_of(http, ada, board_path))
    assert tags[-1] == tags[-3]
    assert all(tag.startswith('"1.') for tag in tags)  # the board's own version did not move
    await assert_304(http, ada, board_path, tags[-1])

    # The board's tasks.
    task = await create_task(http, ada, board["id"], done["id"], "Ship")
    before = await etag_of(http, ada, tasks_path)
    await assert_304(http, ada, tasks_path, before)
    await ok(http, ada, "POST", f"api/tasks/{task['id']}/move", json_body={"listId": done["id"]})
    assert await etag_of(http, ada, tasks_path) != before

    # One task.
    task_path = f"api/tasks/{task['id']}"
    tag = await etag_of(http, ada, task_path)
    await assert_304(http, ada, task_path, tag)
    await ok(http, ada, "PATCH", task_path, json_body={"title": "Ship it"})
    assert await etag_of(http, ada, task_path) != tag

    # The first page of the activity log changes when an entry is recorded. Every change so
    # far is logged first (board, 2 lists created, renamed, moved, archived, restored,
    # archived, deleted, task created, moved, edited), so nothing else arrives between the
    # reads.
    async def logged() -> bool:
        page = await ok(http, ada, "GET", activity_path)
        return len(page["items"]) == 12

    await wait_for(logged, within=WITHIN, what="the log to hold every change")
    first = await etag_of(http, ada, activity_path)
    await assert_304(http, ada, activity_path, first)
    await create_list(http, ada, board["id"], "Later")

    async def changed() -> bool:
        return await etag_of(http, ada, activity_path) != first

    await wait_for(changed, within=WITHIN, what="the log's first page to change")


async def test_unknown_query_parameters_are_refused_everywhere(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Strict")
    listed = await create_list(http, ada, board["id"])
    task = await create_task(http, ada, board["id"], listed["id"])
    for path in (
        "api/boards?limt=5",
        f"api/boards/{board['id']}?x=1",
        f"api/boards/{board['id']}/lists?x=1",
        f"api/boards/{board['id']}/tasks?all=true&x=1",
        f"api/boards/{board['id']}/tasks?alll=true",
        f"api/tasks/{task['id']}?x=1",
        f"api/boards/{board['id']}/activity?before=3",
        "api/auth/me?x=1",
        "api/openapi.json?x=1",
        "api/asyncapi.json?x=1",
    ):
        problem = (await call(http, ada, "GET", path)).assert_problem(422)
        assert problem["errors"][0]["type"] == "extra_forbidden", path


async def test_a_deleted_list_announces_each_of_its_tasks(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Cascade")
    doomed = await create_list(http, ada, board["id"], "Doomed")
    kept = await create_list(http, ada, board["id"], "Kept")
    gone = [await create_task(http, ada, board["id"], doomed["id"], f"T{i}") for i in range(3)]
    survivor = await create_task(http, ada, board["id"], kept["id"], "Survivor")
    socket = SocketClient()
    await socket.connect(stack.gateway_url, ada.token)
    sockets.append(socket)
    ack = await socket.join(board["id"])
    assert ack["ok"] is True, ack
    await ok(http, ada, "POST", f"api/lists/{doomed['id']}/archive")
    await ok(http, ada, "DELETE", f"api/lists/{doomed['id']}", 204)

    async def announced() -> bool:
        return len(socket.of_type("task.deleted")) == 3

    await wait_for(announced, within=WITHIN, what="a task.deleted push per task")
    pushed = socket.of_type("task.deleted")
    assert {p["data"]["taskId"] for p in pushed} == {t["id"] for t in gone}
    assert all(p["actorId"] == ada.id and p["data"]["listId"] == doomed["id"] for p in pushed)
    # The log records each, and the board's tasks no longer hold them.
    page = await ok(http, ada, "GET", f"api/boards/{board['id']}/activity?limit=100")
    logged = {e["data"]["taskId"] for e in page["items"] if e["type"] == "task.deleted"}
    assert logged == {t["id"] for t in gone}
    remaining = await ok(http, ada, "GET", f"api/boards/{board['id']}/tasks?all=true")
    assert [t["id"] for t in remaining["items"]] == [survivor["id"]]


async def test_board_deleted_is_pushed_as_the_document_says(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Short-lived")
    socket = SocketClient()
    await socket.connect(stack.gateway_url, ada.token)
    sockets.append(socket)
    assert (await socket.join(board["id"]))["ok"] is True
    await ok(http, ada, "POST", f"api/boards/{board['id']}/archive")
    await ok(http, ada, "DELETE", f"api/boards/{board['id']}", 204)

    async def pushed() -> list[dict[str, Any]]:
        return socket.of_type("board.deleted")

    (push,) = await wait_for(pushed, within=WITHIN, what="the board.deleted push")
    assert set(push) == {"id", "type", "boardId", "seq", "actorId", "occurredAt", "data"}
    assert (push["boardId"], push["seq"], push["actorId"]) == (board["id"], None, ada.id)
    assert push["data"] == {"boardId": board["id"], "version": 3, "title": "Short-lived"}


async def test_the_gateway_serves_both_api_documents(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    async with http.get("api/openapi.json") as response:
        openapi = await response.json()
    async with http.get("api/asyncapi.json") as response:
        assert response.status == 200
        asyncapi = await response.json()
    assert openapi["openapi"] == "3.1.0"
    assert "/api/asyncapi.json" in openapi["paths"]
    assert asyncapi["asyncapi"] == "3.0.0"
    assert set(asyncapi["operations"]) >= {"joinBoard", "leaveBoard", "pushEvent"}


async def test_created_resources_say_where_they_live(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    reply = await call(http, ada, "POST", "api/boards", json_body={"title": "Here"})
    assert reply.status == 201
    assert reply.headers["Location"] == f"/api/boards/{reply.body['id']}"
    listed = await create_list(http, ada, reply.body["id"])
    made = await call(
        http,
        ada,
        "POST",
        f"api/boards/{reply.body['id']}/tasks",
        json_body={"listId": listed["id"], "title": "T"},
    )
    assert made.headers["Location"] == f"/api/tasks/{made.body['id']}"
    assert (await ok(http, ada, "GET", made.headers["Location"]))["id"] == made.body["id"]
