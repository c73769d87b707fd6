"""GET /api/boards/{boardId}/activity: newest-first pages with a seq cursor, the limit bounds,
members only (with the board-service fallback), and realtime's ``afterSeq`` replay."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_activity.routes import ACTIVITY_SERVICE
from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique, wait_for
from services.activity.tests.support import Harness

pytestmark = pytest.mark.integration


async def board_with_entries(harness: Harness, count: int) -> tuple[str, FakeBoard]:
    """A board whose log holds ``count`` entries (seq 1..count)."""
    owner = await harness.user("Owner")
    board = await harness.board(owner)
    for i in range(count - 1):
        await harness.send(harness.board_updated(board, owner, description=f"v{i}"))
    await harness.wait_seq(board.id, count)
    return owner, board


async def test_pages_go_newest_first_without_repeats_or_holes(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 12)
    seen: list[int] = []
    cursor: Any = None
    pages = 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor is not None else {})}
        page = await harness.activity(board.id, owner, **params)
        seen += [item["seq"] for item in page["items"]]
        pages += 1
        if pages == 1:
            # New activity between pages does not shift the following pages.
            await harness.send(harness.board_updated(board, owner, title="Meanwhile"))
            await harness.wait_seq(board.id, 13)
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == list(range(12, 0, -1))
    assert pages == 3
    default = await harness.activity(board.id, owner)
    assert [item["seq"] for item in default["items"]] == list(range(13, 0, -1))
    assert default["next"] is None


async def test_a_full_last_page_says_there_is_no_next(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 4)
    page = await harness.activity(board.id, owner, limit=2)
    assert isinstance(page["next"], str)  # opaque, like every other cursor
    last = await harness.activity(board.id, owner, limit=2, cursor=page["next"])
    assert [item["seq"] for item in last["items"]] == [2, 1]
    assert last["next"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "many"},
        {"before": 3},
        {"cursor": "x"},
        {"cursor": "eyJzIjowfQ"},
        {"afterSeq": -1},
        {"afterSeq": 1, "limit": 501},
        {"afterSeq": 1, "cursor": "eyJzIjozfQ"},
    ],
)
async def test_query_out_of_bounds_is_422(harness: Harness, params: dict[str, Any]) -> None:
    owner, board = await board_with_entries(harness, 1)
    status, body = await harness.get(f"/api/boards/{board.id}/activity", owner, **params)
    assert status == 422
    assert body["errors"]


async def test_history_pages_carry_an_etag_that_follows_new_entries(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 2)
    path = f"/api/boards/{board.id}/activity"
    async with harness.client.get(path, headers=harness.auth(owner)) as first:
        etag = first.headers["ETag"]
    headers = harness.auth(owner, **{"If-None-Match": etag})
    async with harness.client.get(path, headers=headers) as again:
        assert (again.status, again.headers["ETag"]) == (304, etag)
    await harness.send(harness.board_updated(board, owner, title="New"))
    await harness.wait_seq(board.id, 3)
    async with harness.client.get(path, headers=headers) as changed:
        assert changed.status == 200
        assert changed.headers["ETag"] != etag
        assert (await changed.json())["items"][0]["seq"] == 3


async def test_the_largest_pages_are_allowed(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 2)
    assert len((await harness.activity(board.id, owner, limit=100))["items"]) == 2
    assert len((await harness.activity(board.id, owner, afterSeq=0, limit=500))["items"]) == 2


async def test_non_members_and_unknown_boards_get_404_and_no_token_401(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 1)
    path = f"/api/boards/{board.id}/activity"
    for params in ({}, {"afterSeq": 0}):
        status, body = await harness.get(path, unique("stranger"), **params)
        assert status == 404, body
        assert body["status"] == 404
    status, _ = await harness.get(f"/api/boards/{uuid.uuid4().hex}/activity", owner)
    assert status == 404
    status, _ = await harness.get("/api/boards/bad.id/activity", owner)
    assert status == 404
    status, _ = await harness.get(path, None)
    assert status == 401


async def test_a_member_the_projection_has_not_learnt_yet_is_let_in(harness: Harness) -> None:
    _, board = await board_with_entries(harness, 1)
    newcomer = unique("newcomer")
    board.members[newcomer] = Role.VIEWER  # the board service knows; no event was sent yet
    board.version += 1
    calls = len(harness.board_service.calls)
    page = await harness.activity(board.id, newcomer)
    assert [item["seq"] for item in page["items"]] == [1]
    assert len(harness.board_service.calls) == calls + 1
    # The answer was kept: the next read needs no call.
    await harness.activity(board.id, newcomer)
    assert len(harness.board_service.calls) == calls + 1


async def test_a_removed_member_is_refused(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 1)
    member = unique("member")
    await harness.send(harness.member_added(board, owner, member, "editor"))
    await harness.wait_seq(board.id, 2)
    await harness.activity(board.id, member)
    board.version += 1
    del board.members[member]
    await harness.send(
        harness.event(
            "board.member_removed",
            board.id,
            owner,
            boardId=board.id,
            userId=member,
            role="editor",
            version=board.version,
        )
    )
    await harness.wait_seq(board.id, 3)
    status, _ = await harness.get(f"/api/boards/{board.id}/activity", member)
    assert status == 404


async def test_replay_after_a_seq_is_ascending_and_says_the_current_seq(
    harness: Harness,
) -> None:
    owner, board = await board_with_entries(harness, 7)
    replay = await harness.activity(board.id, owner, afterSeq=3)
    assert [item["seq"] for item in replay["items"]] == [4, 5, 6, 7]
    assert replay["seq"] == 7
    assert replay["next"] is None
    assert set(replay["items"][0]) == {
        "id",
        "boardId",
        "seq",
        "type",
        "actor",
        "subject",
        "summary",
        "data",
        "createdAt",
    }

    first = await harness.activity(board.id, owner, afterSeq=0, limit=3)
    assert [item["seq"] for item in first["items"]] == [1, 2, 3]
    assert first["next"] == 3
    rest = await harness.activity(board.id, owner, afterSeq=first["next"], limit=4)
    assert [item["seq"] for item in rest["items"]] == [4, 5, 6, 7]
    assert rest["next"] is None

    assert await harness.activity(board.id, owner, afterSeq=2, limit=0) == {
        "items": [],
        "next": 2,
        "seq": 7,
    }
    assert await harness.activity(board.id, owner, afterSeq=7) == {
        "items": [],
        "next": None,
        "seq": 7,
    }
    assert (await harness.activity(board.id, owner, afterSeq=50))["items"] == []


async def test_replay_stops_before_an_entry_still_being_written(harness: Harness) -> None:
    owner, board = await board_with_entries(harness, 3)
    in_flight = harness.board_updated(board, owner, title="Slow")
    # A delivery claims seq 4 and dies before inserting; seq 5 is recorded meanwhile.
    log = harness.log

    async def crash(*_: Any) -> None:
        raise RuntimeError("process died")

    log._complete = crash  # type: ignore[method-assign,assignment]
    try:
        with pytest.raises(RuntimeError):
            await harness.client.app[ACTIVITY_SERVICE].record(in_flight)
    finally:
        del log._complete
    await harness.send(harness.board_updated(board, owner, title="Fast"))

    async def fifth() -> bool:
        return len(await harness.entries(board.id)) == 4

    await wait_for(fifth, what="entry 5")
    replay = await harness.activity(board.id, owner, afterSeq=2)
    assert [item["seq"] for item in replay["items"]] == [3]
    assert replay["seq"] == 3
    # The redelivery completes seq 4; the replay runs through to 5.
    await harness.send(in_flight)
    await harness.wait_seq(board.id, 5)
    replay = await harness.activity(board.id, owner, afterSeq=2)
    assert [item["seq"] for item in replay["items"]] == [3, 4, 5]
    assert replay["seq"] == 5
