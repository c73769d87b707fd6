"""The outbox: a state change and its event are atomic (reliability property 1), events of one
aggregate leave in order, and deletions keep their event until it is out."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_shared.events import (
    EventEnvelope,
    EventPublisher,
    OutboxRelay,
    ensure_outbox_index,
    live,
    new_event,
    outbox_fields,
    tombstone_update,
    with_outbox,
)
from hintro_shared.events.outbox import OUTBOX, PENDING
from hintro_testkit.events import Probe, delete_event_objects, open_probe
from hintro_testkit.infra import mongo_url, unique, wait_for

Doc = dict[str, Any]

pytestmark = pytest.mark.integration


@pytest.fixture
async def bus(rabbit: AbstractRobustConnection) -> AsyncIterator[tuple[EventPublisher, Probe]]:
    """A publisher on a fresh exchange and a probe queue that records every event on it."""
    exchange, probe_name = unique("test.events"), unique("test.probe")
    publisher = EventPublisher(rabbit, exchange=exchange)
    await publisher.start()
    channel = await rabbit.channel()
    probe = await open_probe(channel, exchange, probe_name)
    yield publisher, probe
    await publisher.close()
    await channel.close()
    await delete_event_objects(rabbit, exchange=exchange, queues=[probe_name])


def board_created(board_id: str, title: str = "Roadmap") -> EventEnvelope:
    return new_event(
        "board.created",
        source="hintro/board",
        board_id=board_id,
        data={
            "boardId": board_id,
            "title": title,
            "ownerId": "u1",
            "members": [{"userId": "u1", "role": "owner"}],
            "createdAt": "2026-11-28T12:00:00Z",
            "version": 1,
        },
    )


def board_updated(board_id: str, version: int) -> EventEnvelope:
    return new_event(
        "board.updated",
        source="hintro/board",
        board_id=board_id,
        data={"boardId": board_id, "version": version, "title": f"v{version}"},
    )


async def collect(probe: Probe, into: list[EventEnvelope], count: int) -> bool:
    into.extend(await probe.envelopes())
    return len(into) >= count


# The "service" of the crash test: it commits a board with its event, then dies before any
# publish, as a process killed between the two would.
CRASHING_WRITER = """
import asyncio, os, sys
from pymongo import AsyncMongoClient
from hintro_shared.events import new_event, outbox_fields

async def main(url: str, database: str, board_id: str) -> None:
    client = AsyncMongoClient(url, timeoutMS=10_000)
    event = new_event("board.created", source="hintro/board", board_id=board_id, data={
        "boardId": board_id, "title": "Crash", "ownerId": "u1",
        "members": [{"userId": "u1", "role": "owner"}],
        "createdAt": "2026-11-28T12:00:00Z", "version": 1})
    await client[database]["boards"].insert_one(
        {"_id": board_id, "title": "Crash", "version": 1, **outbox_fields(event, order=1)})
    print(event.id, flush=True)
    os._exit(1)

asyncio.run(main(*sys.argv[1:]))
"""


async def test_event_of_a_write_whose_process_died_before_publishing_still_goes_out_once(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    board_id = unique("board")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_WRITER,
        mongo_url(),
        db.name,
        board_id,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 1
    event_id = stdout.decode().strip()
    stored = await db.boards.find_one({"_id": board_id})
    assert stored is not None
    assert event_id in stored[OUTBOX], "the write committed its event"
    assert await probe.count() == 0, "and nothing was published"

    # "After restart": a relay whose sweeper looks after the collection.
    relay = OutboxRelay(publisher, interval=0.05, grace=0.0)
    relay.watch(db.boards)
    await relay.create_indexes()
    relay.start()
    received: list[EventEnvelope] = []
    try:
        await wait_for(lambda: collect(probe, received, 1), within=30, what="the orphaned event")

        async def outbox_drained() -> bool:
            doc = await db.boards.find_one({"_id": board_id})
            return doc is not None and doc[OUTBOX] == {} and doc[PENDING] == 0

        await wait_for(outbox_drained, within=30, what="the outbox entry to be removed")
    finally:
        await relay.stop()
    received += await probe.envelopes()  # anything a second publish would have added
    assert [event.id for event in received] == [event_id]
    assert received[0].type == "board.created"
    assert received[0].data["boardId"] == board_id


async def test_write_that_fails_publishes_nothing_and_leaves_no_outbox_entry(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    await db.boards.create_index("slug", unique=True)
    relay = OutboxRelay(publisher, grace=0.0)
    relay.watch(db.boards)
    first = board_created(unique("board"))
    await db.boards.insert_one(
        {"_id": "b1", "slug": "roadmap", "version": 1, **outbox_fields(first)}
    )
    assert await relay.flush(db.boards, "b1") == 1

    duplicate = board_created("b2")
    with pytest.raises(DuplicateKeyError):
        await db.boards.insert_one(
            {"_id": "b2", "slug": "roadmap", "version": 1, **outbox_fields(duplicate)}
        )
    stale = board_updated("b1", 2)
    result = await db.boards.update_one(  # compare-and-set against a version that moved on
        {"_id": "b1", "version": 7}, with_outbox({"$set": {"title": "x"}}, stale)
    )
    assert result.matched_count == 0

    assert await relay.sweep_once() == 0
    assert await db.boards.count_documents({f"{OUTBOX}.{duplicate.id}": {"$exists": True}}) == 0
    assert await db.boards.count_documents({f"{OUTBOX}.{stale.id}": {"$exists": True}}) == 0
    assert [event.id for event in await probe.envelopes()] == [first.id]


async def test_events_of_one_aggregate_are_published_in_the_order_of_its_writes(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    created = board_created("b1")
    await db.boards.insert_one({"_id": "b1", "version": 1, **outbox_fields(created, order=1)})
    updates = [board_updated("b1", version) for version in range(2, 7)]
    # Written newest-first: the map's insertion order is not the order of the changes.
    for event in reversed(updates):
        version = event.data["version"]
        await db.boards.update_one(
            {"_id": "b1"}, with_outbox({"$max": {"version": version}}, event, order=version)
        )
    relay = OutboxRelay(publisher, grace=0.0)
    assert await relay.flush(db.boards, "b1") == 6
    received = [event.id for event in await probe.envelopes()]
    assert received == [created.id] + [event.id for event in updates]


async def test_events_of_one_write_keep_their_order(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    events = [board_created("b1")] + [board_updated("b1", version) for version in (2, 3, 4)]
    await db.boards.insert_one({"_id": "b1", "version": 4, **outbox_fields(*events, order=1)})
    await OutboxRelay(publisher).flush(db.boards, "b1")
    assert [event.id for event in await probe.envelopes()] == [event.id for event in events]


class FailingOnce:
    """A publisher that fails the first publish of one chosen event (a broker hiccup)."""

    def __init__(self, inner: EventPublisher, fail_on: str) -> None:
        self.inner, self.fail_on, self.failed = inner, fail_on, False

    async def publish(self, envelope: EventEnvelope, *, within: float | None = None) -> None:
        if envelope.id == self.fail_on and not self.failed:
            self.failed = True
            raise ConnectionError("broker went away")
        await self.inner.publish(envelope, within=within)


async def test_a_failed_publish_stops_the_flush_so_no_later_event_overtakes_it(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    events = [board_updated("b1", version) for version in (2, 3, 4)]
    await db.boards.insert_one({"_id": "b1", "version": 4})
    for event in events:
        version = event.data["version"]
        await db.boards.update_one({"_id": "b1"}, with_outbox({}, event, order=version))
    relay = OutboxRelay(FailingOnce(publisher, fail_on=events[1].id), grace=0.0)
    relay.watch(db.boards)

    assert await relay.flush(db.boards, "b1") == 0  # logged, not raised: the write committed
    first_round = [event.id for event in await probe.envelopes()]
    assert first_round == [events[0].id]
    assert await relay.sweep_once() == 2
    second_round = [event.id for event in await probe.envelopes()]
    assert second_round == [events[1].id, events[2].id]
    doc = await db.boards.find_one({"_id": "b1"})
    assert doc is not None
    assert (doc[PENDING], doc[OUTBOX]) == (0, {})


async def test_sweeper_leaves_fresh_entries_to_the_writers_fast_path(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    await db.boards.insert_one({"_id": "b1", "version": 1, **outbox_fields(board_created("b1"))})
    relay = OutboxRelay(publisher, grace=60.0)
    relay.watch(db.boards)
    assert await relay.sweep_once() == 0
    assert await relay.flush(db.boards, "b1") == 1
    assert len(await probe.envelopes()) == 1


async def test_deleted_aggregate_stays_a_hidden_tombstone_until_its_event_is_out(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    await ensure_outbox_index(db.boards)
    await db.boards.insert_one({"_id": "b1", "title": "Roadmap", "version": 1})
    await db.boards.insert_one({"_id": "b2", "title": "Other", "version": 1})
    deleted = new_event(
        "board.deleted",
        source="hintro/board",
        board_id="b1",
        data={"boardId": "b1", "version": 2},
    )
    result = await db.boards.update_one(
        live({"_id": "b1", "version": 1}),
        tombstone_update(deleted, order=2, extra_set={"version": 2}),
    )
    assert result.modified_count == 1
    assert [doc["_id"] async for doc in db.boards.find(live({}))] == ["b2"]
    assert await db.boards.find_one({"_id": "b1"}) is not None, "kept until published"

    relay = OutboxRelay(publisher)
    assert await relay.flush(db.boards, "b1") == 1
    assert [event.id for event in await probe.envelopes()] == [deleted.id]
    assert await db.boards.find_one({"_id": "b1"}) is None
    assert await db.boards.find_one({"_id": "b2"}) is not None


async def test_sweeper_removes_a_tombstone_whose_deletion_a_crash_interrupted(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, _ = bus
    # Drained (events out) but not yet removed: what a crash right after the last $unset leaves.
    await db.boards.insert_one({"_id": "b1", "deleted": True, OUTBOX: {}, PENDING: 0})
    relay = OutboxRelay(publisher)
    relay.watch(db.boards)
    await relay.sweep_once()
    assert await db.boards.find_one({"_id": "b1"}) is None


async def test_flush_soon_publishes_in_the_background_and_stop_waits_for_it(
    db: AsyncDatabase[Doc], bus: tuple[EventPublisher, Probe]
) -> None:
    publisher, probe = bus
    ids = [f"b{n}" for n in range(5)]
    events = {doc_id: board_created(doc_id) for doc_id in ids}
    relay = OutboxRelay(publisher)
    for doc_id, event in events.items():
        await db.boards.insert_one({"_id": doc_id, **outbox_fields(event)})
        relay.flush_soon(db.boards, doc_id)
    await relay.stop()
    received = {event.id for event in await probe.envelopes()}
    assert received == {event.id for event in events.values()}
    assert await db.boards.count_documents({PENDING: {"$gt": 0}}) == 0


def test_outbox_helpers_write_entries_and_count_in_the_same_update() -> None:
    event = board_updated("b1", 2)
    update = with_outbox({"$set": {"title": "x"}, "$inc": {"version": 1}}, event, order=2)
    assert update["$set"]["title"] == "x"
    assert update["$set"][f"{OUTBOX}.{event.id}"]["id"] == event.id
    assert update["$set"][f"{OUTBOX}.{event.id}"]["_order"] == [2, 0]
    assert update["$inc"] == {"version": 1, PENDING: 1}
    assert "$push" not in update
    fields = outbox_fields(event, board_created("b1"))
    assert (fields[PENDING], len(fields[OUTBOX])) == (2, 2)
    with pytest.raises(ValueError, match="at least one"):
        outbox_fields()
    assert uuid.UUID(event.id)
