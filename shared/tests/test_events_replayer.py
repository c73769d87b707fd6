"""The automatic replay of dead letters on a real RabbitMQ: an event dead-lettered during an
outage is handled once the outage ends, without a person; a letter that keeps failing is
replayed a bounded number of times with backoff, then parked; an invalid letter is parked at
once; the depths are exported as gauges."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from prometheus_client import REGISTRY

from hintro_shared.events import EventConsumer, EventEnvelope, EventPublisher, new_event
from hintro_shared.events.dlq import peek, replay
from hintro_shared.events.replayer import DeadLetterReplayer
from hintro_shared.events.topology import dlq_name, parked_name
from hintro_testkit.events import delete_event_objects, passive_queue
from hintro_testkit.infra import unique, wait_for

DELAYS = (0.05, 0.1)

pytestmark = pytest.mark.integration


class Flaky:
    """A handler that fails while ``down`` (a database outage) and records what it handled."""

    def __init__(self) -> None:
        self.down = True
        self.handled: list[str] = []
        self.calls = 0

    async def __call__(self, envelope: EventEnvelope) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("database unavailable")
        self.handled.append(envelope.id)


class Rig:
    def __init__(self, rabbit: AbstractRobustConnection) -> None:
        self.rabbit = rabbit
        self.exchange = unique("test.events")
        self.queue = unique("test.replay")
        self.publisher = EventPublisher(rabbit, exchange=self.exchange)
        self.handler = Flaky()
        self.consumer = EventConsumer(
            rabbit,
            queue=self.queue,
            routing_keys=["task.*"],
            handler=self.handler,
            exchange=self.exchange,
            prefetch=4,
            max_attempts=2,
            retry_delays=DELAYS,
        )

    async def depth(self, name: str) -> int:
        channel = await self.rabbit.channel()
        try:
            return await (await passive_queue(channel, name)).count()
        finally:
            await channel.close()

    async def close(self) -> None:
        await self.consumer.stop(drain_seconds=2)
        await self.publisher.close()
        async with self.rabbit.channel() as channel:
            await channel.queue_delete(parked_name(self.queue))
        await delete_event_objects(
            self.rabbit, exchange=self.exchange, consumer_queues=[self.queue], retry_delays=DELAYS
        )


@pytest.fixture
async def rig(rabbit: AbstractRobustConnection) -> AsyncIterator[Rig]:
    rig = Rig(rabbit)
    await rig.publisher.start()
    await rig.consumer.start()
    yield rig
    await rig.close()


def _event() -> EventEnvelope:
    return new_event(
        "task.moved",
        source="hintro/task",
        board_id="b1",
        data={
            "taskId": "t1",
            "boardId": "b1",
            "fromListId": "l1",
            "toListId": "l2",
            "position": "a0",
            "version": 2,
        },
    )


def _gauge(name: str, queue: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"queue": queue})


async def _dead_lettered(rig: Rig, count: int) -> None:
    async def there() -> bool:
        return await rig.depth(dlq_name(rig.queue)) >= count

    await wait_for(there, within=15.0, what=f"{count} letter(s) in the DLQ")


async def test_a_letter_dead_lettered_during_an_outage_is_handled_once_it_ends(rig: Rig) -> None:
    event = _event()
    await rig.publisher.publish(event)
    await _dead_lettered(rig, 1)
    replayer = DeadLetterReplayer(rig.rabbit, rig.queue, interval=0.2, attempts=3)
    await replayer.run_once()
    assert _gauge("hintro_events_dlq_depth", rig.queue) is not None

    rig.handler.down = False  # the outage ends; nobody runs the dlq tool
    replayer.start()
    try:

        async def handled() -> bool:
            return rig.handler.handled == [event.id]

        await wait_for(handled, within=15.0, what="the dead letter replayed and handled")

        async def drained() -> bool:
            await replayer.run_once()
            return _gauge("hintro_events_dlq_depth", rig.queue) == 0

        await wait_for(drained, within=10.0, what="the DLQ depth gauge back to 0")
        assert await rig.depth(parked_name(rig.queue)) == 0
    finally:
        await replayer.stop()


async def test_a_letter_that_keeps_failing_is_replayed_with_backoff_then_parked(
    rig: Rig,
) -> None:
    await rig.publisher.publish(_event())
    await _dead_lettered(rig, 1)
    now = [time.time()]
    start = now[0]
    # A clock the test moves: backoff is interval * 2**replays since the letter failed.
    replayer = DeadLetterReplayer(
        rig.rabbit, rig.queue, interval=100.0, attempts=2, clock=lambda: now[0]
    )
    channel = await rig.rabbit.channel()
    dead = await channel.get_queue(dlq_name(rig.queue))
    letter = await dead.get(no_ack=False)
    headers: dict[str, Any] = dict(letter.headers or {})
    await letter.nack(requeue=True)
    await channel.close()

    # A letter replayed n times is due interval * 2**n after it failed.
    assert not replayer.due({**headers, "x-failed-at": _iso(start)})
    assert replayer.due({**headers, "x-failed-at": _iso(start - 101)})
    assert not replayer.due({**headers, "x-failed-at": _iso(start - 150), "x-replayed": 1})
    assert replayer.due({**headers, "x-failed-at": _iso(start - 201), "x-replayed": 1})

    calls = rig.handler.calls
    moved = 0
    for _ in range(2):  # two replays, each failing again (still down)
        now[0] += 10_000
        replayed, parked = await replayer.run_once()
        assert (replayed, parked) == (1, 0)
        moved += replayed
        await wait_for(_more_calls(rig, calls), within=15.0, what="the replayed letter handled")
        calls = rig.handler.calls
        await _dead_lettered(rig, 1)
    now[0] += 10_000
    assert await replayer.run_once() == (0, 1)
    assert await rig.depth(dlq_name(rig.queue)) == 0
    assert await rig.depth(parked_name(rig.queue)) == 1
    assert _gauge("hintro_events_parked_depth", rig.queue) == 1
    assert moved == 2
    assert rig.handler.handled == []


async def test_an_invalid_letter_is_parked_at_once(rig: Rig) -> None:
    async with rig.rabbit.channel() as channel:
        exchange = await channel.get_exchange(rig.exchange)
        await exchange.publish(aio_pika.Message(b"not an event"), routing_key="task.moved")
    await _dead_lettered(rig, 1)
    replayer = DeadLetterReplayer(rig.rabbit, rig.queue, interval=0.1, attempts=5)
    assert await replayer.run_once() == (0, 1)
    assert await rig.depth(parked_name(rig.queue)) == 1
    assert _gauge("hintro_events_parked_depth", rig.queue) == 1
    # A person moves it back with the tool (and, still invalid, it is dead-lettered again).
    letters = await peek(rig.rabbit, rig.queue, 10, parked=True)
    assert [letter.reason for letter in letters] == ["invalid"]
    assert await replay(rig.rabbit, rig.queue, parked=True) == 1
    assert await rig.depth(parked_name(rig.queue)) == 0
    await _dead_lettered(rig, 1)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def _more_calls(rig: Rig, calls: int) -> Any:
    async def more() -> bool:
        return rig.handler.calls > calls

    return more
