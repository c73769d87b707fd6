"""Pure rules (gates, reordering), the pusher and the join over fakes: no infrastructure."""

from __future__ import annotations

from typing import Any

import pytest

from hintro_realtime.domain import Gate, Push, Reorder, board_of_room, board_room
from hintro_realtime.pusher import Incoming, Pusher
from hintro_realtime.schemas import ActivityEntry, PushOut, ReplayPage
from hintro_realtime.service import _replayable
from hintro_shared.timeutil import rfc3339


def push(seq: int | None, board: str = "b1", event_type: str = "task.updated", **data: Any) -> Push:
    return Push(f"e{seq}", event_type, board, seq, "ada", "2026-11-28T13:00:00.000Z", data)


# -- Gate ------------------------------------------------------------------------------------


def test_a_syncing_gate_buffers_and_drains_in_seq_order_without_duplicates() -> None:
    gate: Gate[str] = Gate("u")
    for seq in (5, 3, 4, 3, 2):
        assert gate.offer(seq, f"p{seq}") is False
    gate.raise_floor(3)  # the replay sent up to 3
    assert gate.drain() == ["p4", "p5"]
    assert gate.floor == 5
    assert gate.go_live() is True


def test_a_gate_does_not_go_live_while_pushes_wait_in_its_buffer() -> None:
    gate: Gate[str] = Gate("u")
    gate.offer(1, "p1")
    assert gate.go_live() is False
    assert gate.drain() == ["p1"]
    assert gate.go_live() is True


def test_a_live_gate_sends_only_newer_seqs_and_always_the_seqless_notice() -> None:
    gate: Gate[str] = Gate("u", syncing=False, floor=4)
    assert [gate.offer(seq, "x") for seq in (3, 4, 5, 5, 7, 6)] == [
        False,
        False,
        True,
        False,
        True,
        False,
    ]
    assert gate.offer(None, "deleted") is True


def test_a_revoked_gate_sends_nothing() -> None:
    gate: Gate[str] = Gate("u", syncing=False, revoked=True)
    assert gate.offer(1, "x") is False
    assert gate.offer(None, "x") is False


def test_rooms_are_named_after_boards_only() -> None:
    assert board_of_room(board_room("b-1")) == "b-1"
    assert board_of_room("Xy3_abcdefghijklmnop") is None
    assert board_of_room(None) is None


def test_times_are_rfc3339_utc_with_milliseconds() -> None:
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 11, 28, 14, 0, 29, 558123, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339(moment) == "2026-11-28T13:00:29.558Z"


# -- Reorder ---------------------------------------------------------------------------------


def test_reorder_hands_out_consecutive_seqs_and_waits_on_a_gap() -> None:
    reorder: Reorder[str] = Reorder(wait=2.0)
    reorder.hold("b", 3, "three", now=10.0)
    reorder.hold("b", 2, "two", now=10.5)
    assert reorder.take_next("b", 0) is None
    assert reorder.next_deadline() == 12.0
    assert reorder.expired(11.9) == []
    assert reorder.expired(12.0) == ["b"]
    assert reorder.first_held("b") == 2
    assert reorder.take_next("b", 1) == "two"
    assert reorder.take_next("b", 2) == "three"
    reorder.settle("b", now=13.0)
    assert len(reorder) == 0
    assert reorder.next_deadline() is None


def test_reorder_keeps_one_copy_of_a_redelivered_seq_and_drops_pushed_ones() -> None:
    reorder: Reorder[str] = Reorder(wait=1.0)
    assert reorder.hold("b", 5, "first", now=0.0) is None
    assert reorder.hold("b", 5, "again", now=0.1) == "first"
    reorder.hold("b", 7, "seven", now=0.1)
    assert reorder.drop_upto("b", 5) == ["again"]
    assert reorder.drop("b") == ["seven"]


# -- Pusher ----------------------------------------------------------------------------------


class FakeFanout:
    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.fail_next = 0

    async def push(self, push: Push, *, skip_sid: str | None) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("redis down")
        self.log.append(("push", (push.seq, skip_sid)))

    async def evict(self, board_id: str, user_id: str) -> None:
        self.log.append(("evict", (board_id, user_id)))

    async def close_board(self, board_id: str) -> None:
        self.log.append(("close", board_id))


class FakeCursor:
    def __init__(self) -> None:
        self.seqs: dict[str, int] = {}

    async def last(self, board_id: str) -> int:
        return self.seqs.get(board_id, 0)

    async def advance(self, board_id: str, seq: int) -> None:
        self.seqs[board_id] = max(seq, self.seqs.get(board_id, 0))

    async def forget(self, board_id: str) -> None:
        self.seqs.pop(board_id, None)


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def incoming(p: Push, acked: list[str], origin: str | None = None) -> Incoming:
    async def settle() -> None:
        acked.append(p.id)

    return Incoming(p, origin, settle)


@pytest.fixture
def parts() -> tuple[Pusher, FakeFanout, FakeCursor, Clock]:
    fanout, cursor, clock = FakeFanout(), FakeCursor(), Clock()
    pusher = Pusher(fanout, cursor, gap_wait=2.0, retry_max_seconds=0.01, clock=clock)
    return pusher, fanout, cursor, clock


async def test_the_pusher_restores_seq_order_and_acks_only_once_pushed(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, cursor, _ = parts
    acked: list[str] = []
    for seq in (2, 3):
        await pusher.recorded(incoming(push(seq), acked))
    assert fanout.log == []
    assert acked == []
    await pusher.recorded(incoming(push(1), acked))
    assert fanout.log == [("push", (1, None)), ("push", (2, None)), ("push", (3, None))]
    assert acked == ["e1", "e2", "e3"]
    assert cursor.seqs == {"b1": 3}
    assert pusher.seconds_to_wait() is None


async def test_the_pusher_drops_what_was_pushed_already(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, cursor, _ = parts
    cursor.seqs["b1"] = 4
    acked: list[str] = []
    await pusher.recorded(incoming(push(4), acked))
    assert fanout.log == []
    assert acked == ["e4"]


async def test_the_pusher_gives_up_on_a_gap_after_the_wait(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, _, clock = parts
    acked: list[str] = []
    await pusher.recorded(incoming(push(3), acked))
    assert pusher.seconds_to_wait() == 2.0
    clock.now += 1.0
    await pusher.expire()
    assert fanout.log == []
    clock.now += 1.0
    await pusher.expire()
    assert fanout.log == [("push", (3, None))]
    assert acked == ["e3"]


async def test_a_removal_is_pushed_then_evicted_and_origin_is_skipped(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, _, _ = parts
    removal = push(1, event_type="board.member_removed", userId="bob")
    await pusher.recorded(incoming(removal, [], origin="sid-1"))
    assert fanout.log == [("push", (1, "sid-1")), ("evict", ("b1", "bob"))]


async def test_a_failing_push_is_retried_in_place(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, _, _ = parts
    fanout.fail_next = 3
    acked: list[str] = []
    await pusher.recorded(incoming(push(1), acked))
    assert fanout.log == [("push", (1, None))]
    assert acked == ["e1"]


async def test_a_deleted_board_is_announced_closed_and_forgotten(
    parts: tuple[Pusher, FakeFanout, FakeCursor, Clock],
) -> None:
    pusher, fanout, cursor, _ = parts
    acked: list[str] = []
    await pusher.recorded(incoming(push(1), acked))
    await pusher.recorded(incoming(push(3), acked))  # held
    await pusher.deleted(incoming(push(None, event_type="board.deleted"), acked))
    assert fanout.log == [("push", (1, None)), ("push", (None, None)), ("close", "b1")]
    assert acked == ["e1", "e3", "eNone"]
    assert cursor.seqs == {}


# -- replay pages ------------------------------------------------------------------------------


def entry(seq: int) -> ActivityEntry:
    return ActivityEntry.model_validate(
        {"id": f"e{seq}", "boardId": "b", "seq": seq, "type": "t", "createdAt": "x"}
    )


def test_a_contiguous_page_is_replayed_and_anything_else_resyncs() -> None:
    page = ReplayPage(items=[entry(3), entry(4)], seq=4)
    replay = _replayable(page, 2)
    assert replay is not None
    assert [p.seq for p in replay] == [3, 4]
    assert _replayable(ReplayPage(items=[entry(4)], seq=4), 2) is None  # hole at 3
    assert _replayable(ReplayPage(items=[entry(3)], next=3, seq=9), 2) is None  # too many
    assert _replayable(ReplayPage(items=[], seq=2), 5) is None  # ahead of the board
    assert _replayable(ReplayPage(items=[], seq=2), 2) == []


def test_the_push_payload_is_what_the_protocol_document_says() -> None:
    push = Push(
        id="e1",
        type="task.created",
        board_id="b1",
        seq=3,
        actor_id=None,
        occurred_at="2026-12-05T16:52:21.123Z",
        data={"taskId": "t1"},
    )
    assert PushOut.model_validate(push.payload()).model_dump(by_alias=True) == push.payload()
    deleted = Push(
        id="e2",
        type="board.deleted",
        board_id="b1",
        seq=None,
        actor_id="u1",
        occurred_at="2026-12-05T16:52:21.123Z",
        data={"boardId": "b1", "version": 4, "title": "Gone"},
    )
    assert PushOut.model_validate(deleted.payload()).model_dump(by_alias=True) == deleted.payload()
