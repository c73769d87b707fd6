"""Rejoining with sinceSeq: the missed events first, in order, then live ones, each once,
whatever arrives while the replay is in flight; resync when the gap is too large."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.realtime.tests.support import Harness, running_realtime

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def rt() -> AsyncIterator[Harness]:
    async with running_realtime(replay_max_events=5) as harness:
        yield harness


@pytest.fixture(autouse=True)
def _no_hooks(rt: Harness) -> None:
    rt.stand_ins.before_replay_read = None
    rt.stand_ins.before_replay_answer = None
    rt.stand_ins.before_board_answer = None


async def test_rejoin_replays_exactly_the_missed_events_in_order(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    bob = await rt.joined("bob", board)
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 1)
    await bob.close()
    for _ in range(3):
        await rt.recorder.record_and_publish(board)
    await rt.wait_pushed(board, 4)

    again = await rt.client("bob")
    ack = await again.join(board, since_seq=1)
    assert ack == {"ok": True, "seq": 4}
    assert again.seqs(board) == [2, 3, 4]
    ids = [entry["id"] for entry in rt.stand_ins.log[board][1:]]
    assert [event["id"] for event in again.events] == ids
    await rt.recorder.record_and_publish(board)
    await again.wait_for_seq(board, 5)
    assert again.seqs(board) == [2, 3, 4, 5]


async def test_an_event_recorded_during_the_replay_arrives_once_after_it(rt: Harness) -> None:
    board = rt.board("bob")
    for _ in range(2):
        rt.recorder.record(board)  # missed: recorded, pushed to nobody

    async def record_while_replaying(_board: str, _user: str) -> None:
        # Recorded after the replay page was read: it must come live, after the replay.
        rt.stand_ins.before_replay_answer = None
        await rt.recorder.record_and_publish(board)
        await rt.wait_pushed(board, 3)

    rt.stand_ins.before_replay_answer = record_while_replaying
    bob = await rt.client("bob")
    ack = await bob.join(board, since_seq=0)
    await bob.wait_for_seq(board, 3)
    assert ack["ok"] is True
    assert bob.seqs(board) == [1, 2, 3]


async def test_an_event_both_replayed_and_pushed_live_arrives_once(rt: Harness) -> None:
    board = rt.board("bob")
    rt.recorder.record(board)

    async def push_live_before_the_page_is_read(_board: str, _user: str) -> None:
        # Seq 2 reaches the syncing socket live *and* is in the page read just after.
        rt.stand_ins.before_replay_read = None
        await rt.recorder.record_and_publish(board)
        await rt.wait_pushed(board, 2)

    rt.stand_ins.before_replay_read = push_live_before_the_page_is_read
    bob = await rt.client("bob")
    ack = await bob.join(board, since_seq=0)
    await rt.recorder.record_and_publish(board)  # seq 3: the marker
    await bob.wait_for_seq(board, 3)
    assert ack == {"ok": True, "seq": 2}
    assert bob.seqs(board) == [1, 2, 3]


async def test_a_gap_larger_than_the_replay_bound_asks_for_a_resync(rt: Harness) -> None:
    board = rt.board("bob")
    for _ in range(7):
        rt.recorder.record(board)
    bob = await rt.client("bob")
    ack = await bob.join(board, since_seq=1)  # 6 missed, bound is 5
    assert ack == {"ok": True, "seq": 7, "resync": True}
    assert bob.events == []
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 8)
    assert bob.seqs(board) == [8]


async def test_a_since_seq_beyond_the_board_asks_for_a_resync(rt: Harness) -> None:
    board = rt.board("bob")
    rt.recorder.record(board)
    bob = await rt.client("bob")
    assert await bob.join(board, since_seq=40) == {"ok": True, "seq": 1, "resync": True}


async def test_rejoining_while_up_to_date_replays_nothing(rt: Harness) -> None:
    board = rt.board("bob")
    rt.recorder.record(board)
    bob = await rt.client("bob")
    assert await bob.join(board, since_seq=1) == {"ok": True, "seq": 1}
    assert bob.events == []
