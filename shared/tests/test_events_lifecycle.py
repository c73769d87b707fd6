"""ServiceEvents: a service's publisher, relay and consumers open in order and close in reverse,
so a handler still running at shutdown gets its own events out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.events import EventEnvelope, ServiceEvents, new_event, outbox_fields
from hintro_testkit.events import delete_event_objects, open_probe
from hintro_testkit.infra import unique

Doc = dict[str, Any]

pytestmark = pytest.mark.integration


def user_registered(user_id: str) -> EventEnvelope:
    data = {"userId": user_id, "email": f"{user_id}@example.com", "name": "Ada"}
    return new_event("user.registered", source="hintro/auth", data=data)


async def test_handler_in_flight_at_close_still_publishes_through_the_relay(
    db: AsyncDatabase[Doc], rabbit: AbstractRobustConnection
) -> None:
    exchange, queue, probe_name = unique("test.events"), unique("test.q"), unique("test.probe")
    channel = await rabbit.channel()
    probe = await open_probe(channel, exchange, probe_name, routing_keys=("board.updated",))
    handling, release = asyncio.Event(), asyncio.Event()
    collection = db.boards
    try:
        events = ServiceEvents(rabbit, exchange=exchange, drain_seconds=5.0)
        async with events:
            await events.start_relay(collection)

            async def handler(envelope: EventEnvelope) -> None:
                # Reacts to user.registered by writing (and relaying) a board.updated of its own.
                handling.set()
                await release.wait()
                board_id = f"home-{envelope.data['userId']}"
                follow_up = new_event(
                    "board.updated",
                    source="hintro/board",
                    board_id=board_id,
                    data={"boardId": board_id, "version": 2, "title": "v2"},
                )
                await collection.insert_one({"_id": board_id, **outbox_fields(follow_up)})
                await events.relay.flush(collection, board_id)

            await events.consume(queue=queue, routing_keys=["user.registered"], handler=handler)
            user_id = unique("user")
            await events.publisher.publish(user_registered(user_id))
            await asyncio.wait_for(handling.wait(), 10)
            # Shut down while the handler runs; it finishes only after the close began.
            asyncio.get_running_loop().call_later(0.2, release.set)
        published = await probe.envelopes()
        assert [(event.type, event.board_id) for event in published] == [
            ("board.updated", f"home-{user_id}")
        ]
        assert await collection.count_documents({"outboxPending": {"$gt": 0}}) == 0
    finally:
        await channel.close()
        await delete_event_objects(
            rabbit, exchange=exchange, queues=[probe_name], consumer_queues=[queue]
        )


async def test_failure_while_opening_closes_what_was_already_open(
    db: AsyncDatabase[Doc], rabbit: AbstractRobustConnection
) -> None:
    exchange = unique("test.events")
    closed: list[str] = []

    async def note_closed() -> None:
        closed.append("worker")

    events = ServiceEvents(rabbit, exchange=exchange, drain_seconds=5.0)

    async def open_then_fail() -> None:
        async with events:
            await events.start_relay(db.boards)
            events.on_close(note_closed)
            raise RuntimeError("index build failed")

    try:
        with pytest.raises(RuntimeError, match="index build failed"):
            await open_then_fail()
        assert closed == ["worker"]
        # The publisher's channel is closed: it no longer publishes.
        with pytest.raises(RuntimeError, match="start"):
            await events.publisher.publish(user_registered(unique("user")), within=1)
    finally:
        await delete_event_objects(rabbit, exchange=exchange)
