"""Checklists through the gateway: who may read and write them, ordering with anchors, the
progress on the board load, live pushes and activity sentences, a task's deletion taking its
checklists along, and bad input refused as problem+json without changing anything."""

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


async def _scene(
    http: aiohttp.ClientSession,
) -> tuple[User, User, User, User, dict[str, Any], dict[str, Any]]:
    """Ann owns a board with one list and a card; Ed edits, Vi views, Out is no member."""
    ann, ed, vi, out = [await register(http, name) for name in ("Ann", "Ed", "Vi", "Out")]
    board = await create_board(http, ann, "Chores")
    await add_member(http, ann, board["id"], ed, "editor")
    await add_member(http, ann, board["id"], vi, "viewer")
    todo = await create_list(http, ann, board["id"], "To do")
    task = await create_task(http, ann, board["id"], todo["id"], "Card")
    return ann, ed, vi, out, board, task


async def _create(
    http: aiohttp.ClientSession, user: User, path: str, body: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    reply = await call(http, user, "POST", path, json_body=body)
    assert reply.status == 201, reply.text
    return reply.headers["Location"].rsplit("/", 1)[-1], reply.body


def _texts(answer: dict[str, Any], index: int = 0) -> list[str]:
    return [item["text"] for item in answer["checklists"][index]["items"]]


async def _board_progress(
    http: aiohttp.ClientSession, user: User, board_id: str, task_id: str
) -> dict[str, int]:
    page = await ok(http, user, "GET", f"api/boards/{board_id}/tasks?all=true")
    (card,) = [t for t in page["items"] if t["id"] == task_id]
    assert "checklists" not in card
    progress: dict[str, int] = card["checklistProgress"]
    return progress


async def test_editors_build_and_order_checklists_and_the_board_load_shows_progress(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ann, ed, vi, out, board, task = await _scene(http)
    viewer_socket = SocketClient()
    await viewer_socket.connect(stack.gateway_url, vi.token)
    sockets.append(viewer_socket)
    ack = await viewer_socket.join(board["id"])
    assert ack["ok"] is True, ack

    base = f"api/tasks/{task['id']}/checklists"
    cid, _ = await _create(http, ed, base, {"title": "Shopping"})
    milk, _ = await _create(http, ed, f"{base}/{cid}/items", {"text": "Buy milk"})
    bread, _ = await _create(http, ed, f"{base}/{cid}/items", {"text": "Bread", "beforeId": milk})
    eggs, answer = await _create(
        http, ann, f"{base}/{cid}/items", {"text": "Eggs", "afterId": bread, "beforeId": milk}
    )
    assert _texts(answer) == ["Bread", "Eggs", "Buy milk"]
    answer = await ok(
        http, ed, "POST", f"{base}/{cid}/items/{bread}/move", json_body={"afterId": milk}
    )
    assert _texts(answer) == ["Eggs", "Buy milk", "Bread"]
    second, answer = await _create(http, ann, base, {"title": "Packing", "beforeId": cid})
    assert [c["title"] for c in answer["checklists"]] == ["Packing", "Shopping"]
    answer = await ok(
        http, ed, "POST", f"{base}/{cid}/items/{eggs}/move", json_body={"checklistId": second}
    )
    assert _texts(answer, 0) == ["Eggs"]
    assert _texts(answer, 1) == ["Buy milk", "Bread"]

    ticked = await ok(http, ed, "PATCH", f"{base}/{cid}/items/{milk}", json_body={"done": True})
    assert ticked["checklistProgress"] == {"done": 1, "total": 3}
    assert await _board_progress(http, vi, board["id"], task["id"]) == {"done": 1, "total": 3}
    read = await ok(http, vi, "GET", base)
    assert read == ticked

    # The viewer's screen learns of the tick from the push alone.
    async def tick_pushed() -> dict[str, Any] | None:
        pushed = viewer_socket.of_type("task.checklist_item_updated")
        return pushed[0] if pushed else None

    push = await wait_for(tick_pushed, within=WITHIN, what="the tick pushed to the viewer")
    assert push["data"]["checklistProgress"] == {"done": 1, "total": 3}
    assert push["data"]["version"] == ticked["version"]
    assert push["actorId"] == ed.id

    async def sentence() -> str | None:
        page = await ok(http, ann, "GET", f"api/boards/{board['id']}/activity?limit=20")
        for entry in page["items"]:
            if entry["type"] == "task.checklist_item_updated":
                text: str = entry["summary"]
                return text
        return None

    text = await wait_for(sentence, within=WITHIN, what="the tick in the activity log")
    assert text == "Ed completed “Buy milk” on “Card”"
    (await call(http, out, "GET", base)).assert_problem(404)


async def test_viewers_read_only_and_non_members_see_nothing(http: aiohttp.ClientSession) -> None:
    ann, _, vi, out, _, task = await _scene(http)
    base = f"api/tasks/{task['id']}/checklists"
    cid, _ = await _create(http, ann, base, {"title": "List"})
    item, before = await _create(http, ann, f"{base}/{cid}/items", {"text": "One"})
    writes: list[tuple[str, str, Any]] = [
        ("POST", base, {"title": "x"}),
        ("PATCH", f"{base}/{cid}", {"title": "x"}),
        ("DELETE", f"{base}/{cid}", None),
        ("POST", f"{base}/{cid}/items", {"text": "x"}),
        ("PATCH", f"{base}/{cid}/items/{item}", {"done": True}),
        ("POST", f"{base}/{cid}/items/{item}/move", {}),
        ("DELETE", f"{base}/{cid}/items/{item}", None),
    ]
    for method, path, body in writes:
        kwargs: dict[str, Any] = {} if body is None else {"json_body": body}
        (await call(http, vi, method, path, **kwargs)).assert_problem(403)
        (await call(http, out, method, path, **kwargs)).assert_problem(404)
    (await call(http, out, "GET", base)).assert_problem(404)
    assert await ok(http, vi, "GET", base) == before


async def test_bad_input_is_a_problem_and_changes_nothing(http: aiohttp.ClientSession) -> None:
    ann, ed, _, _, board, task = await _scene(http)
    base = f"api/tasks/{task['id']}/checklists"
    cid, _ = await _create(http, ann, base, {"title": "List"})
    item, before = await _create(http, ann, f"{base}/{cid}/items", {"text": "One"})
    cases: list[tuple[str, str, Any, int, dict[str, str]]] = [
        ("POST", base, {"title": "  "}, 422, {}),
        ("POST", base, {"title": "t", "extra": 1}, 422, {}),
        ("POST", f"{base}/{cid}/items", {"text": "x" * 1001}, 422, {}),
        ("POST", f"{base}/{cid}/items", {"text": "x", "assigneeId": "nobody"}, 422, {}),
        ("POST", f"{base}/{cid}/items", {"text": "x", "beforeId": cid}, 422, {}),
        ("PATCH", f"{base}/{cid}/items/{item}", {"text": None}, 422, {}),
        ("POST", f"{base}/{cid}/items/{item}/move", {"beforeId": item}, 422, {}),
        ("PATCH", f"{base}/{cid}?x=1", {"title": "y"}, 422, {}),
        ("PATCH", f"{base}/nope", {"title": "y"}, 404, {}),
        ("PATCH", f"{base}/{cid}/items/{item}", {"done": True}, 412, {"If-Match": '"1"'}),
    ]
    for method, path, body, status, headers in cases:
        reply = await call(http, ed, method, path, json_body=body, headers=headers)
        reply.assert_problem(status)
    bad_json = await call(
        http, ed, "POST", base, data=b"{", headers={"Content-Type": "application/json"}
    )
    bad_json.assert_problem(400)
    assert await ok(http, ed, "GET", base) == before
    assert await _board_progress(http, ed, board["id"], task["id"]) == {"done": 0, "total": 1}


async def test_deleting_a_task_deletes_its_checklists(http: aiohttp.ClientSession) -> None:
    ann, ed, _, _, board, task = await _scene(http)
    base = f"api/tasks/{task['id']}/checklists"
    cid, _ = await _create(http, ann, base, {"title": "List"})
    await _create(http, ann, f"{base}/{cid}/items", {"text": "One", "done": True})
    assert await _board_progress(http, ed, board["id"], task["id"]) == {"done": 1, "total": 1}
    await ok(http, ed, "POST", f"api/tasks/{task['id']}/archive")
    assert (await call(http, ed, "DELETE", f"api/tasks/{task['id']}")).status == 204
    (await call(http, ed, "GET", base)).assert_problem(404)
    (await call(http, ed, "POST", f"{base}/{cid}/items", json_body={"text": "x"})).assert_problem(
        404
    )
    page = await ok(http, ed, "GET", f"api/boards/{board['id']}/tasks?all=true")
    assert page["items"] == []
