"""The gapless per-board seq on single-document atomicity: concurrent events, concurrent
duplicates (also across replicas, i.e. separate clients), a crash between claim and insert,
an abandoned claim, and a board deleted under a recording. Runs on the configured MongoDB wire
server (nx-27017 in CI)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from hintro_activity.repository import ActivityLog, head_of
from hintro_testkit.infra import mongo_url, unique

pytestmark = pytest.mark.integration

Document = dict[str, Any]


@pytest.fixture(scope="module")
async def replicas() -> AsyncIterator[list[ActivityLog]]:
    """Three logs on one database through three clients: three replicas of the service."""
    name = unique("activity_seq")
    clients: list[AsyncMongoClient[Document]] = [
        AsyncMongoClient(mongo_url(), tz_aware=True) for _ in range(3)
    ]
    logs = [ActivityLog(client[name]) for client in clients]
    await logs[0].create_indexes()
    yield logs
    await clients[0].drop_database(name)
    for client in clients:
        await client.close()


def builder(board_id: str, event_id: str) -> Any:
    def build(seq: int) -> Document:
        return {"_id": event_id, "boardId": board_id, "seq": seq, "type": "task.updated"}

    return build


async def seqs_of(log: ActivityLog, board_id: str) -> list[int]:
    return [doc["seq"] async for doc in log.entries.find({"boardId": board_id}).sort("seq", 1)]


async def test_many_concurrent_events_for_one_board_get_seqs_exactly_1_to_n(
    replicas: list[ActivityLog],
) -> None:
    board = uuid.uuid4().hex
    events = [uuid.uuid4().hex for _ in range(60)]
    results = await asyncio.gather(
        *(
            replicas[i % len(replicas)].record(board, event, builder(board, event))
            for i, event in enumerate(events)
        )
    )
    assert sorted(results) == list(range(1, 61))  # type: ignore[type-var]
    assert await seqs_of(replicas[0], board) == list(range(1, 61))
    counter = await replicas[0].counters.find_one({"_id": board})
    assert counter is not None
    assert counter["seq"] == 60
    assert not counter.get("claims")
    assert counter["claimsPending"] == 0
    assert await replicas[1].head(board) == 60


async def test_duplicates_delivered_concurrently_are_recorded_once(
    replicas: list[ActivityLog],
) -> None:
    board = uuid.uuid4().hex
    events = [uuid.uuid4().hex for _ in range(12)]
    deliveries = [event for event in events for _ in range(4)]
    results = await asyncio.gather(
        *(
            replicas[i % len(replicas)].record(board, event, builder(board, event))
            for i, event in enumerate(deliveries)
        )
    )
    recorded = [seq for seq in results if seq is not None]
    assert await seqs_of(replicas[0], board) == list(range(1, 13))
    ids = [doc["_id"] async for doc in replicas[0].entries.find({"boardId": board})]
    assert sorted(ids) == sorted(events)
    # Every distinct seq went to one event; a duplicate reports either None (already there)
    # or the very seq its first delivery got.
    by_seq: dict[int, str] = {}
    for event, seq in zip(deliveries, results, strict=True):
        if seq is not None:
            assert by_seq.setdefault(seq, event) == event
    assert len(set(recorded)) == 12
    assert await replicas[0].head(board) == 12


async def test_a_crash_between_claim_and_insert_is_healed_by_the_redelivery(
    replicas: list[ActivityLog],
) -> None:
    log = replicas[0]
    board, crashed = uuid.uuid4().hex, uuid.uuid4().hex
    # The first delivery claims seq 1 and dies before inserting.
    claimed = await log._claim_seq(board, crashed, builder(board, crashed))
    assert claimed is not None
    assert claimed["seq"] == 1
    later = [uuid.uuid4().hex for _ in range(2)]
    for event in later:
        await log.record(board, event, builder(board, event))
    assert await seqs_of(log, board) == [2, 3]
    assert await log.head(board) == 0  # entry 1 is still missing: nothing is contiguous
    # The redelivery finds its claim and fills the hole with the same seq.
    assert await replicas[1].record(board, crashed, builder(board, crashed)) == 1
    assert await seqs_of(log, board) == [1, 2, 3]
    assert await log.head(board) == 3


async def test_an_abandoned_claim_is_completed_by_the_healer(replicas: list[ActivityLog]) -> None:
    log = replicas[0]
    board, lost = uuid.uuid4().hex, uuid.uuid4().hex
    await log._claim_seq(board, lost, builder(board, lost))
    assert await log.heal_stale_claims(older_than_seconds=3600) == 0  # still young
    assert await log.heal_stale_claims(older_than_seconds=0) >= 1
    entry = await log.entries.find_one({"_id": lost})
    assert entry is not None
    assert entry["seq"] == 1
    assert await log.head(board) == 1
    # A late redelivery is now a no-op.
    assert await log.record(board, lost, builder(board, lost)) is None
    assert await seqs_of(log, board) == [1]


async def test_a_deleted_board_records_nothing_more_even_mid_recording(
    replicas: list[ActivityLog],
) -> None:
    log = replicas[0]
    board = uuid.uuid4().hex
    first, straggler, late = (uuid.uuid4().hex for _ in range(3))
    await log.record(board, first, builder(board, first))
    # A recording that claimed before the deletion and inserts after its purge...
    doc = await log._claim_seq(board, straggler, builder(board, straggler))
    assert doc is not None
    assert await log.purge_board(board) == 1
    await log._complete(board, straggler, doc)
    # ... removes its own entry; later events are ignored; the purge is idempotent.
    assert await log.record(board, late, builder(board, late)) is None
    assert await seqs_of(log, board) == []
    assert await log.purge_board(board) == 0
    assert await log.board_deleted(board)
    assert await log.head(board) == 0


def test_head_is_the_end_of_the_recorded_prefix() -> None:
    assert head_of(None) == 0
    assert head_of({"seq": 5, "claims": {}}) == 5
    assert head_of({"seq": 7, "claims": {"a": {"seq": 6}, "b": {"seq": 4}}}) == 3
    assert head_of({"deleted": True}) == 0
