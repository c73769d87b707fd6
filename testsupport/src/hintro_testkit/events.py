"""Test helpers for code that publishes or consumes events: a probe queue that records what
reaches the exchange, and clean-up of per-test broker objects. Used by the shared tests and
meant for the services' integration tests too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from hintro_shared.events.consumer import DEFAULT_RETRY_DELAYS
from hintro_shared.events.envelope import EventEnvelope, parse_envelope
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.events.topology import (
    declare_event_exchange,
    dlq_name,
    parked_name,
    retry_queue_name,
    unrouted_name,
)


class Probe:
    """A queue bound to the events exchange, read with ``basic.get`` (no consumer)."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue

    async def get_all(self) -> list[aio_pika.abc.AbstractIncomingMessage]:
        """Take (and ack) every message now in the queue."""
        taken = []
        while (message := await self.queue.get(fail=False, no_ack=True)) is not None:
            taken.append(message)
        return taken

    async def envelopes(self) -> list[EventEnvelope]:
        """Take every message now in the queue, parsed."""
        return [parse_envelope(message.body) for message in await self.get_all()]

    async def count(self) -> int:
        """Messages in the queue now (passive re-declare)."""
        # Straight to the protocol: a robust channel answers passive declares from a cache.
        channel = await self.queue.channel.get_underlay_channel()
        declared = await channel.queue_declare(self.queue.name, passive=True)
        return int(declared.message_count or 0)


async def open_probe(
    channel: AbstractChannel, exchange: str, name: str, routing_keys: Sequence[str] = ("#",)
) -> Probe:
    """Declare the exchange topology and a probe queue bound with ``routing_keys``."""
    topic = await declare_event_exchange(channel, exchange)
    queue = await channel.declare_queue(name, durable=True)
    for key in routing_keys:
        await queue.bind(topic, routing_key=key)
    return Probe(queue)


async def passive_queue(channel: AbstractChannel, name: str) -> Probe:
    """A probe over an existing queue (e.g. a consumer's DLQ or the unrouted queue)."""
    return Probe(await channel.declare_queue(name, passive=True))


async def delete_event_objects(
    connection: AbstractRobustConnection,
    *,
    exchange: str | None = None,
    queues: Sequence[str] = (),
    consumer_queues: Sequence[str] = (),
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
) -> None:
    """Delete what a test declared: the exchange with its unrouted pair, plain queues, and
    consumer queues with their DLQ, parked and delay queues. Missing objects are ignored."""
    names = list(queues)
    for queue in consumer_queues:
        names += [queue, dlq_name(queue), parked_name(queue)]
        names += [retry_queue_name(queue, delay) for delay in retry_delays]
    if exchange is not None:
        names.append(unrouted_name(exchange))
    for name in names:
        async with connection.channel() as channel:
            with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                await channel.queue_delete(name)
    if exchange is not None:
        for name in (exchange, unrouted_name(exchange)):
            async with connection.channel() as channel:
                with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                    await channel.exchange_delete(name)


@contextlib.asynccontextmanager
async def event_bus(
    connection: AbstractRobustConnection,
    exchange: str,
    *,
    probe_keys: Sequence[str] = ("#",),
    consumer_queues: Sequence[str] = (),
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
) -> AsyncIterator[tuple[EventPublisher, Probe]]:
    """A publisher on ``exchange`` (to play the other services) and a probe bound with
    ``probe_keys`` (to see what the service under test publishes); afterwards deletes the
    exchange, the probe and the service's ``consumer_queues`` with their retry queues."""
    publisher = EventPublisher(connection, exchange=exchange)
    probe_name = f"{exchange}.probe"
    try:
        await publisher.start()
        async with connection.channel() as channel:
            yield publisher, await open_probe(channel, exchange, probe_name, probe_keys)
    finally:
        await publisher.close()
        await delete_event_objects(
            connection,
            exchange=exchange,
            queues=[probe_name],
            consumer_queues=consumer_queues,
            retry_delays=retry_delays,
        )


class TcpProxy:
    """A loopback TCP proxy whose connections a test can cut, to simulate a broker (or any
    server) restart without touching the shared server: ``await proxy.start()``, connect to
    ``127.0.0.1:proxy.port``, ``proxy.cut()`` drops every open connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0  # connections accepted so far: a reconnect makes it grow

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self.accepted += 1
        self._writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.close()
            self._writers.discard(sink)

    def cut(self) -> None:
        """Drop every open connection (new ones are still accepted)."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        """Stop listening and drop everything."""
        if self._server is not None:
            self._server.close()
            self.cut()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
