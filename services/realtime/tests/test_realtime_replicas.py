"""Several replicas share one push queue (one active pusher) and fan out through Redis: a
socket on any replica receives every push, echo suppression and removals reach across."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.realtime.tests.support import Harness, running_realtime

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def rt() -> AsyncIterator[Harness]:
    async with running_realtime(replicas=2) as harness:
        yield harness


async def test_sockets_on_either_replica_receive_the_same_pushes(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada = await rt.joined("ada", board, url=rt.urls[0])
    bob = await rt.joined("bob", board, url=rt.urls[1])
    for _ in range(5):
        await rt.recorder.record_and_publish(board)
    await ada.wait_for_seq(board, 5)
    await bob.wait_for_seq(board, 5)
    assert ada.events == bob.events
    assert bob.seqs(board) == [1, 2, 3, 4, 5]


async def test_no_echo_and_removal_reach_sockets_on_the_other_replica(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada = await rt.joined("ada", board, url=rt.urls[0])
    bob = await rt.joined("bob", board, url=rt.urls[1])
    await rt.recorder.record_and_publish(board, origin_socket_id=bob.sid)
    await rt.recorder.record_and_publish(
        board,
        event_type="board.member_removed",
        data={"boardId": board, "userId": "bob", "role": "editor", "version": 2},
    )
    await rt.recorder.record_and_publish(board)
    await ada.wait_for_seq(board, 3)
    assert ada.seqs(board) == [1, 2, 3]
    assert bob.seqs(board) == [2]


async def test_pushing_moves_to_another_replica_when_the_active_one_stops(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.joined("bob", board, url=rt.urls[1])
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 1)
    await rt.stop_replica(rt.servers[0])  # the first consumer: the active pusher
    for _ in range(2):
        await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 3, within=15)
    assert bob.seqs(board) == [1, 2, 3]


async def test_a_socket_rejoining_on_another_replica_gets_what_it_missed(rt: Harness) -> None:
    board = rt.board("bob")
    first = await rt.joined("bob", board, url=rt.urls[0])
    await rt.recorder.record_and_publish(board)
    await first.wait_for_seq(board, 1)
    await first.close()
    for _ in range(3):
        await rt.recorder.record_and_publish(board)
    await rt.wait_pushed(board, 4)
    second = await rt.client("bob", url=rt.urls[1])
    assert await second.join(board, since_seq=1) == {"ok": True, "seq": 4}
    assert second.seqs(board) == [2, 3, 4]
