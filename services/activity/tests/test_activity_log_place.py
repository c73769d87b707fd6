"""The log's pages read by each entry's place (``board:seq`` as one indexed string), and the
entries an older release wrote without one: still in every page, and given their place when
read, by a completed claim, or by the migration. Real nx-27017."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hintro_activity.migrations import MIGRATIONS
from hintro_activity.repository import PLACE, ActivityLog, BuildEntry, entry_place
from hintro_shared import jsonutil
from hintro_testkit.infra import scratch_database

pytestmark = pytest.mark.integration

Document = dict[str, Any]


@pytest.fixture
async def db() -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database("activity_place") as database:
        yield database


@pytest.fixture
async def log(db: AsyncDatabase[Document]) -> ActivityLog:
    activity_log = ActivityLog(db)
    await activity_log.create_indexes()
    return activity_log


def entry(board_id: str, seq: int) -> Document:
    return {
        "boardId": board_id,
        "seq": seq,
        "type": "task.updated",
        "actor": {"id": None},
        "subject": {"kind": "board", "id": board_id},
        "summary": f"entry {seq}",
        "names": [],
        "unresolved": False,
        "data": {},
        "createdAt": "2026-12-06T06:00:00.000Z",
    }


def builder(board_id: str, event_id: str) -> BuildEntry:
    def build(seq: int) -> Document:
        return {"_id": event_id, **entry(board_id, seq)}

    return build


async def recorded(log: ActivityLog, board_id: str, count: int) -> None:
    for _ in range(count):
        event = uuid.uuid4().hex
        assert await log.record(board_id, event, builder(board_id, event)) is not None


def seqs(docs: list[Document]) -> list[int]:
    return [int(doc["seq"]) for doc in docs]


async def test_pages_by_place_are_the_log_in_order_and_keep_to_their_board(
    log: ActivityLog,
) -> None:
    board = uuid.uuid4().hex
    # An id that extends the first one: its places must not fall in the first board's range.
    neighbour = board + "0"
    await recorded(log, board, 30)
    await recorded(log, neighbour, 5)
    async for doc in log.entries.find({"boardId": board}):
        assert doc[PLACE] == entry_place(board, int(doc["seq"]))
    assert seqs(await log.newest(board, 10, None)) == list(range(30, 20, -1))
    assert seqs(await log.newest(board, 10, 21)) == list(range(20, 10, -1))
    assert seqs(await log.newest(board, 10, 3)) == [2, 1]
    assert seqs(await log.newest(board, 10, 1)) == []
    assert seqs(await log.newest(board, 10, 10**20)) == list(range(30, 20, -1))
    assert seqs(await log.after(board, 0, 10)) == list(range(1, 11))
    assert seqs(await log.after(board, 25, 10)) == list(range(26, 31))
    assert seqs(await log.after(board, 30, 10)) == []
    assert seqs(await log.newest(neighbour, 50, None)) == [5, 4, 3, 2, 1]
    assert seqs(await log.after(neighbour, 0, 50)) == [1, 2, 3, 4, 5]


async def test_entries_written_without_a_place_are_read_and_then_given_it(
    log: ActivityLog,
) -> None:
    board = uuid.uuid4().hex
    await recorded(log, board, 10)
    # As a release before the place wrote them (one inside the log, and the newest).
    await log.entries.update_many(
        {"boardId": board, "seq": {"$in": [5, 10]}}, {"$unset": {PLACE: ""}}
    )
    assert seqs(await log.newest(board, 20, None)) == list(range(10, 0, -1))
    assert await log.entries.count_documents({"boardId": board, PLACE: {"$exists": False}}) == 0
    await log.entries.update_many({"boardId": board, "seq": 7}, {"$unset": {PLACE: ""}})
    assert seqs(await log.after(board, 3, 20)) == list(range(4, 11))
    assert await log.entries.count_documents({"boardId": board, PLACE: {"$exists": False}}) == 0


async def test_a_claim_made_without_a_place_completes_with_one(log: ActivityLog) -> None:
    board = uuid.uuid4().hex
    doc = {"_id": "e1", **entry(board, 1)}
    claim = {"seq": 1, "doc": jsonutil.dumps(doc), "at": 0}
    await log.counters.insert_one(
        {"_id": board, "seq": 1, "claims": {"e1": claim}, "claimsPending": 1}
    )
    assert await log.heal_stale_claims(0) == 1
    stored = await log.entries.find_one({"_id": "e1"})
    assert stored is not None
    assert stored[PLACE] == entry_place(board, 1)
    assert seqs(await log.newest(board, 5, None)) == [1]


async def test_the_migration_gives_older_entries_their_place(
    db: AsyncDatabase[Document],
) -> None:
    log = ActivityLog(db)
    board = uuid.uuid4().hex
    await db["entries"].insert_many([{"_id": f"e{s}", **entry(board, s)} for s in range(1, 8)])
    await db["counters"].insert_one({"_id": board, "seq": 7})
    place = next(m for m in MIGRATIONS if m.version == 2)
    await place.up(db)
    await place.up(db)  # idempotent
    assert await db["entries"].count_documents({PLACE: {"$exists": False}}) == 0
    async for doc in db["entries"].find({}):
        assert doc[PLACE] == entry_place(board, int(doc["seq"]))
    indexes = [index["key"] async for index in await db["entries"].list_indexes()]
    assert {PLACE: 1} in [dict(key) for key in indexes]
    assert seqs(await log.newest(board, 3, None)) == [7, 6, 5]
    await place.down(db)
    assert await db["entries"].count_documents({PLACE: {"$exists": True}}) == 0
    indexes = [index["key"] async for index in await db["entries"].list_indexes()]
    assert {PLACE: 1} not in [dict(key) for key in indexes]
