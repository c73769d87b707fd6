"""Publishing (reliability property 2): confirmed, persistent, unroutable events kept and
counted, failed publishes retried until confirmed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from prometheus_client import REGISTRY
from yarl import URL

from hintro_shared.events import EventEnvelope, EventPublisher, new_event
from hintro_shared.events.topology import unrouted_name
from hintro_testkit.events import (
    TcpProxy,
    delete_event_objects,
    open_probe,
    passive_queue,
)
from hintro_testkit.infra import rabbitmq_url, unique, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def exchange(rabbit: AbstractRobustConnection) -> AsyncIterator[str]:
    name = unique("test.events")
    yield name
    await delete_event_objects(rabbit, exchange=name)


def task_moved(task_id: str = "t1") -> EventEnvelope:
    return new_event(
        "task.moved",
        source="hintro/task",
        board_id="b1",
        correlation_id="req-7",
        data={
            "taskId": task_id,
            "boardId": "b1",
            "fromListId": "l1",
            "toListId": "l2",
            "position": "a0",
            "version": 2,
        },
    )


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def publish_failures(exchange: str) -> float:
    """Failed publish attempts on ``exchange``, whatever the reason."""
    return sum(
        metric_sample.value
        for metric in REGISTRY.collect()
        if metric.name == "hintro_events_publish_failures"
        for metric_sample in metric.samples
        if metric_sample.name.endswith("_total")
        and metric_sample.labels.get("exchange") == exchange
    )


async def test_published_event_is_persistent_json_routed_by_its_type(
    rabbit: AbstractRobustConnection, exchange: str
) -> None:
    publisher = EventPublisher(rabbit, exchange=exchange)
    await publisher.start()
    channel = await rabbit.channel()
    probe_name = unique("test.probe")
    probe = await open_probe(channel, exchange, probe_name, routing_keys=["task.*"])
    try:
        event = task_moved()
        await publisher.publish(event)
        messages = await probe.get_all()
        assert len(messages) == 1
        message = messages[0]
        assert message.routing_key == "task.moved"
        assert message.message_id == event.id
        assert message.content_type == "application/json"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert (message.headers or {})["x-correlation-id"] == "req-7"
        assert message.correlation_id == "req-7"
        assert EventEnvelope.model_validate_json(message.body) == event
    finally:
        await publisher.close()
        await channel.close()
        await delete_event_objects(rabbit, queues=[probe_name])


async def test_unroutable_event_is_kept_in_the_unrouted_queue_and_counted(
    rabbit: AbstractRobustConnection, exchange: str
) -> None:
    publisher = EventPublisher(rabbit, exchange=exchange)
    await publisher.start()
    channel = await rabbit.channel()
    # Someone listens to boards only: a task event has nowhere to go.
    probe_name = unique("test.probe")
    probe = await open_probe(channel, exchange, probe_name, routing_keys=["board.*"])
    labels = {"exchange": exchange, "type": "task.moved"}
    try:
        event = task_moved()
        await publisher.publish(event, within=5)  # confirmed; not retried forever
        unrouted = await passive_queue(channel, unrouted_name(exchange))
        kept = await unrouted.envelopes()
        assert [kept_event.id for kept_event in kept] == [event.id]
        assert await probe.count() == 0

        async def counted() -> bool:
            return sample("hintro_events_unrouted_total", labels) == 1.0

        await wait_for(counted, what="the unrouted counter")
        # A routable event is not counted as unrouted.
        await publisher.publish(
            new_event("board.deleted", source="hintro/board", data={"boardId": "b1", "version": 3})
        )
        assert await probe.count() == 1
        assert sample("hintro_events_unrouted_total", labels) == 1.0
    finally:
        await publisher.close()
        await channel.close()
        await delete_event_objects(rabbit, queues=[probe_name])


async def test_publish_failing_on_the_broker_is_retried_until_confirmed(
    rabbit: AbstractRobustConnection, exchange: str
) -> None:
    publisher = EventPublisher(rabbit, exchange=exchange)
    await publisher.start()
    # The exchange disappears under the publisher: the broker closes its channel (404).
    async with rabbit.channel() as admin:
        await admin.exchange_delete(exchange)
    before = publish_failures(exchange)
    try:
        event = task_moved()
        await publisher.publish(event, within=15)
        after = publish_failures(exchange)
        assert after > before, "the first attempt failed"
        # The recovered channel re-declared the exchange; with no binding left, the
        # confirmed event sits in the unrouted queue instead of being lost.
        async with rabbit.channel() as channel:
            unrouted = await passive_queue(channel, unrouted_name(exchange))
            assert [kept.id for kept in await unrouted.envelopes()] == [event.id]
    finally:
        await publisher.close()


async def test_publish_before_start_is_a_programming_error(
    rabbit: AbstractRobustConnection,
) -> None:
    with pytest.raises(RuntimeError, match="start"):
        await EventPublisher(rabbit).publish(task_moved())


async def test_publish_across_a_lost_connection_is_retried_until_confirmed(
    rabbit: AbstractRobustConnection, exchange: str
) -> None:
    parsed = URL(rabbitmq_url())
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5672)
    await proxy.start()
    url = parsed.with_host("127.0.0.1").with_port(proxy.port).update_query(reconnect_interval=0.2)
    connection = await aio_pika.connect_robust(str(url))
    publisher = EventPublisher(connection, exchange=exchange)
    await publisher.start()
    channel = await rabbit.channel()
    probe_name = unique("test.probe")
    probe = await open_probe(channel, exchange, probe_name)
    try:
        events = [task_moved(f"t{n}") for n in range(3)]
        await publisher.publish(events[0])
        proxy.cut()
        for event in events[1:]:
            await publisher.publish(event, within=30)
        received = [envelope.id for envelope in await probe.envelopes()]
        # Every event confirmed is there (a lost confirm may add a duplicate: at-least-once).
        assert set(received) == {event.id for event in events}
        assert proxy.accepted >= 2, "the publisher had to reconnect"
    finally:
        await publisher.close()
        await connection.close()
        await proxy.close()
        await channel.close()
        await delete_event_objects(rabbit, queues=[probe_name])
