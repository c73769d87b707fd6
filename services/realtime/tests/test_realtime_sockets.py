"""Connecting, joining, leaving and live pushes on one replica (real RabbitMQ and Redis;
stand-ins for board and activity)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
import socketio

from hintro_testkit.infra import wait_for
from services.realtime.tests.support import Harness, SocketClient, running_realtime

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def rt() -> AsyncIterator[Harness]:
    async with running_realtime() as harness:
        yield harness


async def test_socket_without_a_token_is_refused(rt: Harness) -> None:
    client = SocketClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(rt.url, None)


async def test_socket_with_a_forged_or_expired_token_is_refused(rt: Harness) -> None:
    forged = rt.mint.token("u1")[:-4] + "AAAA"
    for token in (forged, rt.mint.token("u1", lifetime=-10), "not-a-jwt"):
        client = SocketClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(rt.url, token)


async def test_member_join_is_acked_with_the_current_seq(rt: Harness) -> None:
    board = rt.board("ada")
    for _ in range(3):
        rt.recorder.record(board)  # recorded before the join, never published
    client = await rt.client("ada")
    assert await client.join(board) == {"ok": True, "seq": 3}


async def test_non_member_join_is_refused(rt: Harness) -> None:
    board = rt.board("ada")
    client = await rt.client("mallory")
    ack = await client.join(board)
    assert ack["ok"] is False
    assert ack["error"] == "not_found"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "b1",
        {},
        {"boardId": ""},
        {"boardId": "a/b"},
        {"boardId": "b", "sinceSeq": -1},
        {"boardId": "b", "sinceSeq": "3"},
        {"boardId": "b", "sinceSeq": True},
        {"boardId": "b", "x": 1},
    ],
)
async def test_join_with_a_bad_payload_is_refused(rt: Harness, payload: object) -> None:
    client = await rt.client("ada")
    ack = await client.sio.call("board:join", payload, timeout=10)
    assert ack["ok"] is False
    assert ack["error"] == "invalid"


async def test_members_receive_pushes_in_seq_order(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    for event_type in ("task.created", "task.moved", "list.updated"):
        await rt.recorder.record_and_publish(board, event_type=event_type, actor_id="ada")
    await bob.wait_for_seq(board, 3)
    await ada.wait_for_seq(board, 3)
    assert bob.seqs(board) == [1, 2, 3]
    entry = rt.stand_ins.log[board][0]
    assert bob.events[0] == {
        "id": entry["id"],
        "type": "task.created",
        "boardId": board,
        "seq": 1,
        "actorId": "ada",
        "occurredAt": entry["createdAt"],
        "data": {"boardId": board, "n": 1},
    }
    assert [e["type"] for e in bob.events] == ["task.created", "task.moved", "list.updated"]


async def test_a_socket_that_left_receives_no_more(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    assert await bob.leave(board) == {"ok": True}
    await rt.recorder.record_and_publish(board)  # seq 1: only ada
    await rt.recorder.record_and_publish(board)  # seq 2: the marker
    await ada.wait_for_seq(board, 2)
    assert bob.seqs(board) == []


async def test_health_and_metrics_are_served_beside_socketio(rt: Harness) -> None:
    await rt.client("ada")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{rt.url}/readyz") as response:
            assert response.status == 200
            body = await response.json()
        assert body["checks"] == {"redis": "ok", "rabbitmq": "ok", "socketio": "ok"}
        async with http.get(f"{rt.url}/metrics") as response:
            text = await response.text()
    assert "hintro_realtime_connected_sockets" in text
    assert "hintro_realtime_pushes_total" in text


async def test_a_join_after_the_token_expired_asks_for_a_fresh_one(rt: Harness) -> None:
    board = rt.board("ada")
    client = SocketClient()
    expires = time.time() + 2
    await client.connect(rt.url, rt.mint.token("ada", lifetime=2))
    try:

        async def expired() -> bool:
            return time.time() > expires + 0.5

        await wait_for(expired, within=5, what="the token to expire")
        ack = await client.join(board)
        assert ack["ok"] is False
        assert ack["error"] == "unauthorized"
    finally:
        await client.close()
