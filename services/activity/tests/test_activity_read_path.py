"""History pages read through the read database (``MONGO_READ_DB``: possibly a lagging
secondary), everything else through the primary. Two real databases with different names on the
configured server stand for the primary and the secondary: they hold different entries, so
what a call returns shows which one served it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hintro_activity.names import NameDirectory
from hintro_activity.repository import ActivityLog, BuildEntry
from hintro_activity.service import ActivityService
from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection, BoardReaders, BoardSnapshot
from hintro_shared.caller import Caller
from hintro_shared.mongo import MONGO_DB, MONGO_READ_DB
from hintro_testkit.infra import mongo_url, unique
from services.activity.tests.support import Harness

pytestmark = pytest.mark.integration

Document = dict[str, Any]
READER = "reader"


@dataclass
class Databases:
    primary: AsyncDatabase[Document]
    read: AsyncDatabase[Document]


@pytest.fixture(scope="module")
async def dbs() -> AsyncIterator[Databases]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url(), tz_aware=True)
    primary, read = unique("activity_primary"), unique("activity_secondary")
    yield Databases(client[primary], client[read])
    await client.drop_database(primary)
    await client.drop_database(read)
    await client.close()


def entry(board_id: str, seq: int, summary: str, event_id: str | None = None) -> Document:
    return {
        "_id": event_id or uuid.uuid4().hex,
        "boardId": board_id,
        "seq": seq,
        "type": "task.updated",
        "actor": {"id": None},
        "subject": {"kind": "board", "id": board_id},
        "summary": summary,
        "names": [],
        "unresolved": False,
        "data": {},
        "createdAt": "2026-11-28T13:00:00.000Z",
    }


def builder(board_id: str, event_id: str) -> BuildEntry:
    def build(seq: int) -> Document:
        return entry(board_id, seq, f"primary {seq}", event_id)

    return build


async def board_with_diverged_copies(dbs: Databases, log: ActivityLog) -> str:
    """A board with entries 1..3 recorded on the primary, and a read database holding a copy
    that is behind and different (entries 1..2 with their own summaries)."""
    board = uuid.uuid4().hex
    for _ in range(3):
        event = uuid.uuid4().hex
        assert await log.record(board, event, builder(board, event)) is not None
    await dbs.read["entries"].insert_many([entry(board, seq, f"secondary {seq}") for seq in (1, 2)])
    return board


@pytest.fixture(scope="module")
async def log(dbs: Databases) -> ActivityLog:
    activity_log = ActivityLog(dbs.primary, read_db=dbs.read)
    await activity_log.create_indexes()
    return activity_log


async def test_history_pages_come_from_the_read_database(dbs: Databases, log: ActivityLog) -> None:
    board = await board_with_diverged_copies(dbs, log)
    newest = await log.newest(board, 10, None)
    assert [doc["summary"] for doc in newest] == ["secondary 2", "secondary 1"]
    older = await log.newest(board, 10, 2)
    assert [doc["summary"] for doc in older] == ["secondary 1"]


async def test_writes_the_counter_and_the_replay_stay_on_the_primary(
    dbs: Databases, log: ActivityLog
) -> None:
    board = await board_with_diverged_copies(dbs, log)
    replay = await log.after(board, 0, 10)
    assert [doc["summary"] for doc in replay] == ["primary 1", "primary 2", "primary 3"]
    assert await log.head(board) == 3
    # Recording wrote nothing through the read database: it holds only what the test put there.
    assert await dbs.read["entries"].count_documents({"boardId": board}) == 2
    assert await dbs.read["counters"].count_documents({}) == 0


class NoBoardService:
    """The board service fallback: never needed, since the primary's projection knows the
    reader (were membership checked on the read database, it would be asked and fail)."""

    async def fetch_board(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> BoardSnapshot | None:
        raise AssertionError(f"membership of {board_id} was not decided on the primary")


async def test_the_service_pages_history_from_the_read_database_and_replays_from_the_primary(
    dbs: Databases, log: ActivityLog
) -> None:
    board = await board_with_diverged_copies(dbs, log)
    projection = BoardProjection(dbs.primary)
    await projection.apply_snapshot(BoardSnapshot(board, 1, {READER: Role.VIEWER}))
    service = ActivityService(
        log, NameDirectory(dbs.primary), BoardReaders(projection, NoBoardService())
    )
    caller = Caller(READER, "Bearer unused")

    page = await service.history(caller, board, 1, None)
    assert [item.summary for item in page.items] == ["secondary 2"]
    assert page.next == 2
    rest = await service.history(caller, board, 1, page.next)
    assert ([item.summary for item in rest.items], rest.next) == (["secondary 1"], None)

    replay = await service.replay(caller, board, 0, 10)
    assert [item.summary for item in replay.items] == ["primary 1", "primary 2", "primary 3"]
    assert replay.seq == 3


async def test_the_app_gives_the_log_the_read_database_for_history_only(harness: Harness) -> None:
    app = harness.client.app
    assert harness.log.history.database is app[MONGO_READ_DB]
    assert harness.log.entries.database is app[MONGO_DB]
    assert harness.log.counters.database is app[MONGO_DB]
