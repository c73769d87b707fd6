"""Realtime resource bounds, with real sockets: sessions per client address and in total, a
session that never sends CONNECT is closed, board:join is rate-limited per socket, a periodic
re-check disconnects sockets whose token expired or whose membership went away without an
event, a removal that arrives after its gap was skipped still evicts, and Engine.IO's CORS
echoes only the gateway's own origin or a configured one."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
import socketio

from hintro_realtime.app import SOCKET_SERVER
from hintro_realtime.sockets import BoundedServer
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import Harness, SocketClient, running_realtime

pytestmark = pytest.mark.integration

POLL = "/socket.io/?EIO=4&transport=polling"


async def _handshake(
    url: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One Engine.IO polling handshake: status, headers, body."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}{POLL}", headers=headers or {}) as response,
    ):
        return response.status, dict(response.headers), await response.text()


def _budget(rt: Harness, index: int = 0) -> BoundedServer:
    server: BoundedServer = rt.servers[index].app[SOCKET_SERVER]
    return server


@pytest_asyncio.fixture(loop_scope="session")
async def tight() -> AsyncIterator[Harness]:
    async with running_realtime(
        max_sockets=3,
        max_sockets_per_address=2,
        connect_timeout_seconds=0.5,
        join_burst=2,
        join_interval_seconds=60,
        cors_origins="https://app.example",
    ) as harness:
        yield harness


async def test_sessions_are_bounded_per_address_and_in_total(tight: Harness) -> None:
    first = await tight.client("ada")
    await tight.client("ada")
    # A third socket from the same address: refused before Engine.IO sets anything up.
    status, headers, _ = await _handshake(tight.url)
    assert status == 429
    assert headers["Retry-After"].isdigit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await SocketClient().connect(tight.url, tight.mint.token("ada"))
    # Another address (as the gateway names it) still gets one; then the process is full.
    other = SocketClient()
    await other.sio.connect(
        tight.url,
        auth={"token": tight.mint.token("bob")},
        transports=["websocket"],
        headers={"X-Client-Address": "203.0.113.7"},
        wait_timeout=10,
    )
    status, headers, _ = await _handshake(tight.url, {"X-Client-Address": "198.51.100.1"})
    assert status == 503
    assert headers["Retry-After"].isdigit()
    # Closing a socket gives its slot back.
    await first.close()
    await other.close()
    budget = _budget(tight).budget

    async def freed() -> bool:
        return len(budget) == 1

    await wait_for(freed, what="closed sessions forgotten")
    await tight.client("carol")


async def test_a_session_that_never_connects_is_closed(tight: Harness) -> None:
    status, _, body = await _handshake(tight.url, {"X-Client-Address": "192.0.2.9"})
    assert status == 200
    sid = body[body.index('"sid":"') + 7 :].split('"', 1)[0]
    budget = _budget(tight).budget
    assert budget.holds(sid)  # counted while it lives

    async def closed() -> bool:
        return not budget.holds(sid)

    started = time.monotonic()
    await wait_for(closed, within=10, what="the idle session closed")
    assert time.monotonic() - started < 5
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{tight.url}{POLL}&sid={sid}") as response,
    ):
        assert response.status == 400  # Engine.IO no longer knows it


async def test_board_join_is_rate_limited_per_socket(tight: Harness) -> None:
    board = tight.board("dan")
    socket = await tight.client("dan")
    assert (await socket.join(board))["ok"] is True
    assert (await socket.join(board))["ok"] is True
    refused = await socket.join(board)
    assert refused["ok"] is False
    assert refused["error"] == "rate_limited"
    assert "retry in" in refused["detail"]
    # Another socket has a budget of its own.
    await socket.close()
    assert (await (await tight.client("dan")).join(board))["ok"] is True


async def test_engineio_cors_echoes_only_allowed_origins(tight: Harness) -> None:
    status, headers, _ = await _handshake(tight.url, {"Origin": "https://evil.example"})
    assert status == 400
    assert "Access-Control-Allow-Origin" not in headers
    listed = await _handshake(tight.url, {"Origin": "https://app.example"})
    assert listed[0] == 200
    assert listed[1]["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Credentials" not in listed[1]
    # The gateway's own origin, as the gateway forwards it.
    own = await _handshake(
        tight.url,
        {
            "Origin": "http://hintro.test:8080",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "hintro.test:8080",
            "X-Client-Address": "192.0.2.10",
        },
    )
    assert own[0] == 200
    assert own[1]["Access-Control-Allow-Origin"] == "http://hintro.test:8080"


@pytest_asyncio.fixture(loop_scope="session")
async def rechecked() -> AsyncIterator[Harness]:
    async with running_realtime(membership_recheck_seconds=0.3) as harness:
        yield harness


async def test_the_recheck_disconnects_a_member_removed_without_an_event(
    rechecked: Harness,
) -> None:
    board = rechecked.board("ada", "bob")
    ada = await rechecked.joined("ada", board)
    bob = await rechecked.joined("bob", board)
    rechecked.stand_ins.members[board].discard("bob")  # no board.member_removed ever arrives

    async def bob_gone() -> bool:
        return not bob.sio.connected

    await wait_for(bob_gone, within=10, what="bob disconnected by the re-check")
    await rechecked.recorder.record_and_publish(board)
    await ada.wait_for_seq(board, 1)
    assert bob.seqs(board) == []
    assert ada.sio.connected


async def test_the_recheck_disconnects_a_socket_whose_token_expired(rechecked: Harness) -> None:
    board = rechecked.board("eve")
    socket = SocketClient()
    # Valid for the connect and the join, expired (past the verifier's leeway) seconds later.
    await socket.connect(rechecked.url, rechecked.mint.token("eve", lifetime=2))
    assert (await socket.join(board))["ok"] is True

    async def gone() -> bool:
        return not socket.sio.connected

    assert socket.sio.connected
    await wait_for(gone, within=20, what="the expired socket disconnected")


@pytest_asyncio.fixture(loop_scope="session")
async def plain() -> AsyncIterator[Harness]:
    async with running_realtime() as harness:  # no re-check within the test's time
        yield harness


async def test_a_removal_arriving_after_its_gap_was_skipped_still_evicts(plain: Harness) -> None:
    rt = plain
    board = rt.board("ada", "bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    rt.stand_ins.members[board].discard("bob")
    removal = rt.recorder.record(
        board,
        event_type="board.member_removed",
        data={"boardId": board, "userId": "bob", "role": "editor", "version": 3},
    )
    later = rt.recorder.record(board)
    await rt.recorder.publish(later)  # seq 2 first: the pusher waits, then skips the gap
    await ada.wait_for_seq(board, 2)
    await rt.recorder.publish(removal)  # seq 1, late: a duplicate, but it still evicts
    await rt.wait_pushed(board, 2)
    after = rt.recorder.record(board)
    await rt.recorder.publish(after)
    await ada.wait_for_seq(board, 3)
    assert 3 not in bob.seqs(board)
