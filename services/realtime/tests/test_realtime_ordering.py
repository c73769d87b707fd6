"""The pusher: activity.recorded arrives in any order and possibly twice; clients get each
seq once, in order; a seq that never comes is given up on after the gap wait."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio

from hintro_testkit.events import passive_queue
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import Harness, running_realtime

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def rt() -> AsyncIterator[Harness]:
    async with running_realtime(gap_wait_seconds=1.0) as harness:
        yield harness


async def test_events_recorded_out_of_order_are_pushed_in_seq_order(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.joined("bob", board)
    one, two, three, four = (rt.recorder.record(board) for _ in range(4))
    await rt.recorder.publish(three, four, one, two)
    await bob.wait_for_seq(board, 4)
    assert bob.seqs(board) == [1, 2, 3, 4]


async def test_an_event_published_twice_is_pushed_once(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.joined("bob", board)
    one, two, three = (rt.recorder.record(board) for _ in range(3))
    await rt.recorder.publish(one, two, one, two, three, two)
    await bob.wait_for_seq(board, 3)
    marker = await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 4)
    assert bob.seqs(board) == [1, 2, 3, 4]
    assert marker.data["seq"] == 4


async def test_a_missing_seq_is_given_up_on_after_the_gap_wait(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.joined("bob", board)
    one, _lost, three = (rt.recorder.record(board) for _ in range(3))
    await rt.recorder.publish(one)
    await bob.wait_for_seq(board, 1)
    started = time.monotonic()
    await rt.recorder.publish(three)
    await bob.wait_for_seq(board, 3, within=10)
    assert time.monotonic() - started >= 0.9  # held for the gap wait first
    assert bob.seqs(board) == [1, 3]
    # The late one is dropped: seq 3 was pushed already.
    await rt.recorder.publish(_lost)
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 4)
    assert bob.seqs(board) == [1, 3, 4]


async def test_boards_do_not_wait_for_each_other(rt: Harness) -> None:
    stuck, fine = rt.board("bob"), rt.board("bob")
    bob = await rt.client("bob")
    assert (await bob.join(stuck))["ok"]
    assert (await bob.join(fine))["ok"]
    rt.recorder.record(stuck)  # seq 1 of `stuck` never published: seq 2 waits
    await rt.recorder.publish(rt.recorder.record(stuck))
    started = time.monotonic()
    await rt.recorder.record_and_publish(fine)
    await bob.wait_for_seq(fine, 1)
    assert time.monotonic() - started < 0.9
    assert bob.seqs(stuck) == []


async def test_an_invalid_message_is_dead_lettered_and_pushing_goes_on(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.joined("bob", board)
    async with rt.connection.channel() as channel:
        exchange = await channel.get_exchange(rt.settings.events_exchange)
        for body in (b"not json", b'{"id": "x", "type": "activity.recorded"}'):
            await exchange.publish(aio_pika.Message(body), routing_key="activity.recorded")
        dead = await passive_queue(channel, f"{rt.settings.push_queue}.dlq")

        async def both_dead() -> bool:
            return await dead.count() == 2

        await wait_for(both_dead, what="the two invalid messages in the DLQ")
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 1)
