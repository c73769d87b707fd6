"""``GET /api/boards/{boardId}/tasks?all=true``: every task in board order in one response,
served compressed from the Redis cache, with an ETag that follows every change (task writes,
list moves, cascades) and 304 for a client that has the current body."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from multidict import CIMultiDict

from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def load(
    harness: Harness, board: FakeBoard, *, etag: str | None = None, gzip_ok: bool = True
) -> tuple[int, CIMultiDict[str], Any]:
    """One ``?all=true`` read: status, headers, parsed body (``None`` without one)."""
    headers = {"Accept-Encoding": "gzip" if gzip_ok else "identity"}
    if etag is not None:
        headers["If-None-Match"] = etag
    async with harness.client.get(
        f"/api/boards/{board.id}/tasks?all=true",
        headers=harness.auth(board.owner, **headers),
        auto_decompress=False,
    ) as response:
        raw = await response.read()
        found = CIMultiDict(response.headers)
        if response.status != 200:
            return response.status, found, None
        if found.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return response.status, found, json.loads(raw)


async def test_every_task_in_board_order_in_one_response(harness: Harness) -> None:
    board = await harness.board(lists=3)
    made = [await harness.create_task(board, board.owner, index) for index in (2, 0, 1, 0, 2)]
    status, headers, body = await load(harness, board)
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    by_list = {ref.id: i for i, ref in enumerate(board.lists)}
    expected = sorted(made, key=lambda t: (by_list[t["listId"]], t["position"]))
    assert body == {"items": expected, "next": None}
    # The same body for a client that does not take gzip.
    status, plain_headers, plain = await load(harness, board, gzip_ok=False)
    assert (status, plain) == (200, body)
    assert "Content-Encoding" not in plain_headers
    assert plain_headers["ETag"] == headers["ETag"]


async def test_etag_304_and_invalidation_by_writes_and_list_moves(harness: Harness) -> None:
    board = await harness.board(lists=2)
    task = await harness.create_task(board, board.owner, 0)
    _, headers, _ = await load(harness, board)
    etag = headers["ETag"]
    status, not_modified, _ = await load(harness, board, etag=etag)
    assert status == 304
    assert not_modified["ETag"] == etag

    # A task write changes the body and so the ETag, at once (read after one's own write).
    status, _ = await harness.request(
        "PATCH", f"/api/tasks/{task['id']}", board.owner, {"title": "Renamed"}
    )
    assert status == 200
    status, headers, second = await load(harness, board, etag=etag)
    assert status == 200
    assert second["items"][0]["title"] == "Renamed"
    assert headers["ETag"] != etag

    # Moving the lists (an event from the board service) reorders the tasks.
    other = await harness.create_task(board, board.owner, 1)
    _, headers, before = await load(harness, board)
    assert [t["id"] for t in before["items"]] == [task["id"], other["id"]]
    first_list = board.lists[0]
    await harness.publish(
        "list.updated",
        board.id,
        listId=first_list.id,
        boardId=board.id,
        position=board.lists[1].position + "V",
        version=2,
    )

    async def reordered() -> bool:
        status, _, now = await load(harness, board, etag=headers["ETag"])
        return status == 200 and [t["id"] for t in now["items"]] == [other["id"], task["id"]]

    await wait_for(reordered, within=5, what="the list move to reorder the tasks")


async def test_cascade_empties_the_collection(harness: Harness) -> None:
    board = await harness.board(lists=2)
    await harness.create_task(board, board.owner, 0)
    kept = await harness.create_task(board, board.owner, 1)
    assert len((await load(harness, board))[2]["items"]) == 2  # now cached
    gone = board.lists.pop(0)
    await harness.publish("list.deleted", board.id, listId=gone.id, boardId=board.id, version=2)

    async def only_kept() -> bool:
        return [t["id"] for t in (await load(harness, board))[2]["items"]] == [kept["id"]]

    await wait_for(only_kept, within=5, what="the cascade to reach the cached collection")


async def test_paging_parameters_and_unknown_ones_are_refused_with_all(harness: Harness) -> None:
    board = await harness.board(lists=1)
    for query in ("all=true&limit=10", "all=true&listId=x", "all=true&cursor=abc", "alll=true"):
        status, body = await harness.request(
            "GET", f"/api/boards/{board.id}/tasks?{query}", board.owner
        )
        assert status == 422, query
        assert body["status"] == 422
    status, _ = await harness.request("GET", f"/api/boards/{board.id}/tasks?all=false", board.owner)
    assert status == 200


async def test_non_members_get_404_not_the_cached_body(harness: Harness) -> None:
    board = await harness.board(lists=1)
    await harness.create_task(board, board.owner, 0)
    assert (await load(harness, board))[0] == 200  # cached now
    status, _ = await harness.request("GET", f"/api/boards/{board.id}/tasks?all=true", "stranger")
    assert status == 404


async def test_task_get_answers_304_for_its_current_version(harness: Harness) -> None:
    board = await harness.board(lists=1)
    task = await harness.create_task(board, board.owner, 0)
    path = f"/api/tasks/{task['id']}"
    status, _ = await harness.request("GET", path, board.owner, **{"If-None-Match": '"1"'})
    assert status == 304
    status, body = await harness.request("GET", path, board.owner, **{"If-None-Match": '"0"'})
    assert (status, body) == (200, task)


async def test_a_hit_is_the_stored_gzip_bytes_not_a_new_read(harness: Harness) -> None:
    board = await harness.board(lists=1)
    task = await harness.create_task(board, board.owner, 0)
    _, _, first = await load(harness, board)
    # Behind the service's back: a hit does not read MongoDB, so it still shows the old title.
    await harness.tasks.update_one({"_id": task["id"]}, {"$set": {"title": "Sneaky"}})
    async with harness.client.get(
        f"/api/boards/{board.id}/tasks?all=true",
        headers=harness.auth(board.owner, **{"Accept-Encoding": "gzip"}),
        auto_decompress=False,
    ) as response:
        raw = await response.read()
    assert raw[:2] == b"\x1f\x8b"  # gzip, as stored
    assert json.loads(gzip.decompress(raw)) == first
    assert first["items"][0]["title"] == "Task"
