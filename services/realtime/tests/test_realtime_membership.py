"""Echo suppression, removed members, deleted boards and a removal racing a join."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from hintro_shared.events.envelope import new_event
from services.realtime.tests.support import Harness, running_realtime

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def rt() -> AsyncIterator[Harness]:
    async with running_realtime() as harness:
        yield harness


@pytest.fixture(autouse=True)
def _no_hooks(rt: Harness) -> None:
    rt.stand_ins.before_board_answer = None


async def test_the_originating_socket_gets_no_echo(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    await rt.recorder.record_and_publish(board, origin_socket_id=ada.sid)
    await rt.recorder.record_and_publish(board)  # the marker, from elsewhere
    await ada.wait_for_seq(board, 2)
    await bob.wait_for_seq(board, 2)
    assert ada.seqs(board) == [2]
    assert bob.seqs(board) == [1, 2]


async def test_a_removed_member_stops_receiving_at_once(rt: Harness) -> None:
    board = rt.board("ada", "bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    bob_again = await rt.joined("bob", board)  # every socket of the user goes
    rt.stand_ins.members[board].discard("bob")
    removed = rt.recorder.record(
        board,
        event_type="board.member_removed",
        data={"boardId": board, "userId": "bob", "role": "editor", "version": 3},
    )
    after = rt.recorder.record(board)
    # Published together: nothing recorded after the removal may reach bob.
    await rt.recorder.publish(removed, after)
    await ada.wait_for_seq(board, 2)
    for socket in (bob, bob_again):
        assert socket.seqs(board) == [1]  # he learns of his removal, then nothing more
        assert socket.events[0]["type"] == "board.member_removed"
    assert (await bob.join(board))["error"] == "not_found"


async def test_removing_a_member_leaves_their_other_boards_alone(rt: Harness) -> None:
    first, second = rt.board("ada", "bob"), rt.board("bob")
    bob = await rt.client("bob")
    assert (await bob.join(first))["ok"]
    assert (await bob.join(second))["ok"]
    await rt.recorder.record_and_publish(
        first,
        event_type="board.member_removed",
        data={"boardId": first, "userId": "bob", "role": "viewer", "version": 2},
    )
    await rt.recorder.record_and_publish(second)
    await bob.wait_for_seq(second, 1)
    await rt.recorder.record_and_publish(first)
    await rt.recorder.record_and_publish(second)
    await bob.wait_for_seq(second, 2)
    assert bob.seqs(first) == [1]


async def test_a_deleted_board_is_announced_and_its_room_emptied(rt: Harness) -> None:
    board, other = rt.board("ada", "bob"), rt.board("bob")
    ada, bob = await rt.joined("ada", board), await rt.joined("bob", board)
    assert (await bob.join(other))["ok"]
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 1)
    deleted = new_event(
        "board.deleted",
        source="hintro/board",
        data={"boardId": board, "version": 4, "title": "Gone"},
        board_id=board,
        actor_id="ada",
    )
    await rt.recorder.publish(deleted)
    await rt.recorder.record_and_publish(board)  # a straggler: nobody is in the room now
    await rt.recorder.record_and_publish(other)  # the marker
    await bob.wait_for_seq(other, 1)

    notice = bob.of_type("board.deleted")
    assert [n["id"] for n in notice] == [deleted.id]
    assert notice[0]["seq"] is None
    assert notice[0]["actorId"] == "ada"
    assert ada.seqs(board) == [1, None]
    assert bob.seqs(board) == [1, None]


async def test_a_removal_processed_during_the_membership_check_refuses_the_join(
    rt: Harness,
) -> None:
    board = rt.board("ada", "bob")
    ada = await rt.joined("ada", board)

    async def remove_bob_meanwhile(_board: str, user: str) -> None:
        # The board service said "member" a moment before the removal went through.
        if user != "bob":
            return
        rt.stand_ins.before_board_answer = None
        rt.stand_ins.members[board].discard("bob")
        await rt.recorder.record_and_publish(
            board,
            event_type="board.member_removed",
            data={"boardId": board, "userId": "bob", "role": "editor", "version": 2},
        )
        await ada.wait_for_seq(board, 1)

    rt.stand_ins.before_board_answer = remove_bob_meanwhile
    bob = await rt.client("bob")
    ack = await bob.join(board)
    assert ack["ok"] is False
    assert ack["error"] == "not_found"
    await rt.recorder.record_and_publish(board)
    await ada.wait_for_seq(board, 2)
    assert bob.events == []


async def test_concurrent_joins_of_one_socket_end_in_one_membership(rt: Harness) -> None:
    board = rt.board("bob")
    bob = await rt.client("bob")
    acks = await asyncio.gather(*(bob.join(board) for _ in range(5)))
    assert all(ack["ok"] for ack in acks)
    await rt.recorder.record_and_publish(board)
    await rt.recorder.record_and_publish(board)
    await bob.wait_for_seq(board, 2)
    assert bob.seqs(board) == [1, 2]
