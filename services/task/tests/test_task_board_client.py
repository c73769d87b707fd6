"""The board service client behind the fallback: it forwards the caller's credentials, reads
404 as "not a member", and turns every failure (refused, slow, broken answer) into a quick
``BoardServiceUnavailable`` (a 503), never a hang."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from hintro_devtools.ports import free_port
from hintro_shared.boardview import BoardClient, BoardServiceUnavailable

BOARD = {
    "id": "b1",
    "version": 3,
    "members": [{"userId": "u1", "role": "owner"}],
    "lists": [{"id": "l1", "boardId": "b1", "position": "a0", "version": 1}],
}


@pytest.fixture
async def server() -> AsyncIterator[tuple[BaseTestServer, list[web.Request]]]:
    seen: list[web.Request] = []

    async def board(request: web.Request) -> web.Response:
        seen.append(request)
        board_id = request.match_info["boardId"]
        if board_id == "slow":
            await asyncio.sleep(5)
        if board_id == "broken":
            return web.Response(text="<html>oops</html>", content_type="text/html")
        if board_id == "down":
            return web.Response(status=502)
        if board_id != "b1":
            return web.json_response({}, status=404)
        return web.json_response(BOARD)

    app = web.Application()
    app.router.add_get("/api/boards/{boardId}", board)
    async with TestServer(app) as test_server:
        yield test_server, seen


async def test_board_is_fetched_with_the_callers_credentials(
    server: tuple[BaseTestServer, list[web.Request]],
) -> None:
    test_server, seen = server
    client = BoardClient(str(test_server.make_url("")), 1.0)
    try:
        snapshot = await client.fetch_board("b1", authorization="Bearer tok", request_id="r-1")
        assert snapshot is not None
        assert snapshot.version == 3
        assert [ref.id for ref in snapshot.lists] == ["l1"]
        assert seen[0].headers["Authorization"] == "Bearer tok"
        assert seen[0].headers["X-Request-Id"] == "r-1"
        assert (
            await client.fetch_board("other", authorization="Bearer tok", request_id=None) is None
        )
    finally:
        await client.close()


@pytest.mark.parametrize("board_id", ["slow", "broken", "down"])
async def test_a_failing_board_service_is_unavailable_quickly(
    server: tuple[BaseTestServer, list[web.Request]], board_id: str
) -> None:
    test_server, _ = server
    client = BoardClient(str(test_server.make_url("")), 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(BoardServiceUnavailable):
            await client.fetch_board(board_id, authorization="Bearer t", request_id=None)
    finally:
        await client.close()
    assert time.monotonic() - started < 2.0


async def test_an_unreachable_board_service_is_unavailable() -> None:
    client = BoardClient(f"http://127.0.0.1:{free_port()}", 0.5)
    try:
        with pytest.raises(BoardServiceUnavailable):
            await client.fetch_board("b1", authorization="Bearer t", request_id=None)
    finally:
        await client.close()


async def test_the_client_knows_how_lately_it_confirmed_each_board(
    server: tuple[BaseTestServer, list[web.Request]],
) -> None:
    test_server, seen = server
    now = [100.0]
    client = BoardClient(str(test_server.make_url("")), 1.0, trust_seconds=60, clock=lambda: now[0])
    try:
        assert not client.confirmed("b1")  # never asked: the board service decides
        await client.fetch_board("b1", authorization="Bearer tok", request_id=None)
        assert client.confirmed("b1")
        assert seen[-1].headers["X-Timeout-Ms"] == "1000"  # the board service's deadline
        now[0] += 60
        assert not client.confirmed("b1")  # the bound has passed
        await client.fetch_board("b1", authorization="Bearer tok", request_id=None)
        assert client.confirmed("b1")
        assert await client.fetch_board("gone", authorization="Bearer t", request_id=None) is None
        assert not client.confirmed("gone")
    finally:
        await client.close()
    unbounded = BoardClient(str(test_server.make_url("")), 1.0)
    assert unbounded.confirmed("anything")
