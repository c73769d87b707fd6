"""The consumer base (reliability property 3): ack only after the handler's write, one effect
per event however often it arrives, poison and invalid messages dead-lettered instead of
looping, and the consumer keeps going."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from pymongo.asynchronous.database import AsyncDatabase
from yarl import URL

from hintro_shared.events import (
    EventConsumer,
    EventEnvelope,
    EventPublisher,
    apply_if_newer,
    apply_once,
    new_event,
)
from hintro_shared.events.catalogue import TaskMoved
from hintro_shared.events.topology import dlq_name
from hintro_testkit.events import Probe, TcpProxy, delete_event_objects, passive_queue
from hintro_testkit.infra import rabbitmq_url, unique, wait_for

Doc = dict[str, Any]
Handler = Callable[[EventEnvelope], Awaitable[None]]
DELAYS = (0.05, 0.1)

pytestmark = pytest.mark.integration


class Harness:
    """A publisher and a consumer on a fresh exchange and queue."""

    def __init__(self, rabbit: AbstractRobustConnection) -> None:
        self.rabbit = rabbit
        self.exchange = unique("test.events")
        self.queue = unique("test.consumer")
        self.publisher = EventPublisher(rabbit, exchange=self.exchange)
        self.consumers: list[EventConsumer] = []

    async def consumer(self, handler: Handler, *, max_attempts: int = 3) -> EventConsumer:
        consumer = EventConsumer(
            self.rabbit,
            queue=self.queue,
            routing_keys=["task.*"],
            handler=handler,
            exchange=self.exchange,
            prefetch=4,
            max_attempts=max_attempts,
            retry_delays=DELAYS,
        )
        await consumer.start()
        self.consumers.append(consumer)
        return consumer

    async def dlq(self) -> Probe:
        channel = await self.rabbit.channel()
        return await passive_queue(channel, dlq_name(self.queue))

    async def publish_raw(self, body: bytes, routing_key: str = "task.moved") -> None:
        async with self.rabbit.channel() as channel:
            exchange = await channel.get_exchange(self.exchange)
            await exchange.publish(aio_pika.Message(body), routing_key=routing_key)

    async def close(self) -> None:
        for consumer in self.consumers:
            await consumer.stop(drain_seconds=2)
        await self.publisher.close()
        await delete_event_objects(
            self.rabbit,
            exchange=self.exchange,
            consumer_queues=[self.queue],
            retry_delays=DELAYS,
        )


@pytest.fixture
async def harness(rabbit: AbstractRobustConnection) -> AsyncIterator[Harness]:
    harness = Harness(rabbit)
    await harness.publisher.start()
    yield harness
    await harness.close()


def task_moved(task_id: str = "t1", version: int = 2, to_list: str = "l2") -> EventEnvelope:
    return new_event(
        "task.moved",
        source="hintro/task",
        board_id="b1",
        data={
            "taskId": task_id,
            "boardId": "b1",
            "fromListId": "l1",
            "toListId": to_list,
            "position": "a0",
            "version": version,
        },
    )


async def test_poison_event_reaches_the_dlq_after_exactly_n_attempts_and_the_next_is_handled(
    harness: Harness,
) -> None:
    attempts: dict[str, int] = {}
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        attempts[envelope.id] = attempts.get(envelope.id, 0) + 1
        if envelope.data["taskId"] == "poison":
            raise RuntimeError("cannot apply this one")
        handled.append(envelope.id)

    await harness.consumer(handler, max_attempts=3)
    poison, good = task_moved("poison"), task_moved("good")
    await harness.publisher.publish(poison)
    await harness.publisher.publish(good)
    dlq = await harness.dlq()
    dead: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def dead_lettered() -> bool:
        dead.extend(await dlq.get_all())
        return len(dead) >= 1

    await wait_for(dead_lettered, what="the poison event in the DLQ")
    await wait_for(lambda: _true(handled == [good.id]), what="the good event to be handled")
    assert attempts[poison.id] == 3
    assert attempts[good.id] == 1
    assert len(dead) == 1
    headers = dead[0].headers or {}
    assert dead[0].message_id == poison.id
    assert headers["x-attempts"] == 3
    assert headers["x-dead-letter-reason"] == "failed"
    assert "cannot apply this one" in str(headers["x-error"])
    assert headers["x-original-routing-key"] == "task.moved"
    assert EventEnvelope.model_validate_json(dead[0].body) == poison


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        # An envelope of a known type whose data breaks its schema (no taskId).
        b'{"id": "e1", "type": "task.moved", "source": "x", "time": "2026-11-28T12:00:00Z",'
        b' "correlationId": "c", "data": {"boardId": "b1"}}',
    ],
)
async def test_invalid_message_goes_to_the_dlq_at_once_and_the_consumer_goes_on(
    harness: Harness, body: bytes
) -> None:
    calls: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        calls.append(envelope.id)

    await harness.consumer(handler, max_attempts=5)
    await harness.publish_raw(body)
    good = task_moved()
    await harness.publisher.publish(good)
    dlq = await harness.dlq()
    dead: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def dead_lettered() -> bool:
        dead.extend(await dlq.get_all())
        return len(dead) >= 1

    await wait_for(dead_lettered, what="the invalid message in the DLQ")
    await wait_for(lambda: _true(calls == [good.id]), what="the next event to be handled")
    assert dead[0].body == body
    assert (dead[0].headers or {})["x-dead-letter-reason"] == "invalid"
    assert (dead[0].headers or {})["x-attempts"] == 1


async def test_redelivered_event_has_one_effect(harness: Harness, db: AsyncDatabase[Doc]) -> None:
    await db.boards.insert_one({"_id": "b1", "moves": 0})
    crashed_once: set[str] = set()
    seen: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        seen.append(envelope.id)
        await apply_once(db.boards, {"_id": "b1"}, envelope.id, {"$inc": {"moves": 1}})
        if envelope.id not in crashed_once:
            # Our write is done but the ack never happens: the event comes again.
            crashed_once.add(envelope.id)
            raise ConnectionError("died before the ack")

    await harness.consumer(handler)
    event = task_moved()
    await harness.publisher.publish(event)
    await harness.publisher.publish(event)  # and the broker delivers it twice as well
    await wait_for(lambda: _true(len(seen) >= 3), what="the redeliveries")
    doc = await db.boards.find_one({"_id": "b1"})
    assert doc is not None
    assert doc["moves"] == 1


async def test_out_of_order_duplicate_does_not_overwrite_a_newer_projection(
    harness: Harness, db: AsyncDatabase[Doc]
) -> None:
    applied: list[bool] = []

    async def handler(envelope: EventEnvelope) -> None:
        moved = envelope.data_as(TaskMoved)
        applied.append(
            await apply_if_newer(
                db.tasks, {"_id": moved.task_id}, moved.version, {"listId": moved.to_list_id}
            )
        )

    newer, older = task_moved(version=3, to_list="l3"), task_moved(version=2, to_list="l2")
    await harness.consumer(handler)
    await harness.publisher.publish(newer)
    await wait_for(lambda: _true(applied == [True]), what="the newer event")
    await harness.publisher.publish(older)  # arrives late (e.g. after a retry)
    await harness.publisher.publish(newer)  # and a duplicate
    await wait_for(lambda: _true(len(applied) == 3), what="three deliveries")
    assert applied == [True, False, False]
    assert await db.tasks.find_one({"_id": "t1"}) == {"_id": "t1", "listId": "l3", "version": 3}


async def test_ack_waits_for_the_handler_and_stop_drains_in_flight_handlers(
    harness: Harness,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        started.set()
        await release.wait()
        finished.append(envelope.id)

    consumer = await harness.consumer(handler)
    event = task_moved()
    await harness.publisher.publish(event)
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(consumer.stop(drain_seconds=10))
    await asyncio.sleep(0.1)  # give stop() the chance to (wrongly) finish early
    assert not stopping.done(), "stop() must wait for the in-flight handler"
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == [event.id]
    async with harness.rabbit.channel() as channel:
        queue = await passive_queue(channel, harness.queue)
        assert await queue.count() == 0, "acked once the handler returned"


async def test_event_whose_handler_did_not_finish_is_redelivered(harness: Harness) -> None:
    started = asyncio.Event()

    async def stuck(envelope: EventEnvelope) -> None:
        started.set()
        await asyncio.Event().wait()  # never returns

    consumer = await harness.consumer(stuck)
    event = task_moved()
    await harness.publisher.publish(event)
    await asyncio.wait_for(started.wait(), 10)
    await consumer.stop(drain_seconds=0.1)  # gives up on the handler: no ack was sent

    handled: list[str] = []

    async def working(envelope: EventEnvelope) -> None:
        handled.append(envelope.id)

    await harness.consumer(working)
    await wait_for(lambda: _true(handled == [event.id]), what="the redelivery")


def via_proxy(url: str, port: int) -> str:
    """``url`` pointed at the proxy, reconnecting quickly."""
    parsed = URL(url)
    return str(parsed.with_host("127.0.0.1").with_port(port).update_query(reconnect_interval=0.2))


async def test_consumer_resumes_after_its_broker_connection_is_lost(harness: Harness) -> None:
    parsed = URL(rabbitmq_url())
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5672)
    await proxy.start()
    connection = await aio_pika.connect_robust(via_proxy(rabbitmq_url(), proxy.port))
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        handled.append(envelope.id)

    consumer = EventConsumer(
        connection,
        queue=harness.queue,
        routing_keys=["task.*"],
        handler=handler,
        exchange=harness.exchange,
        retry_delays=DELAYS,
    )
    try:
        await consumer.start()
        before, after = task_moved("t1"), task_moved("t2")
        await harness.publisher.publish(before)
        await wait_for(lambda: _true(handled == [before.id]), what="the first event")
        proxy.cut()  # what a broker restart looks like from the service
        await harness.publisher.publish(after)
        await wait_for(
            lambda: _true(after.id in handled), within=30, what="the event after reconnecting"
        )
        assert proxy.accepted >= 2, "the consumer had to reconnect"
    finally:
        await consumer.stop(drain_seconds=2)
        await connection.close()
        await proxy.close()
