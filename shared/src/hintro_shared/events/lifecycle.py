"""One service's event plumbing, opened in order and closed in reverse.

Every service that publishes wires the same pieces inside a ``cleanup_ctx``: an
:class:`EventPublisher` on its RabbitMQ connection, an :class:`OutboxRelay` over it watching the
collections whose documents carry an outbox, and (for a service that listens)
:class:`EventConsumer`\\ s. :class:`ServiceEvents` does that once::

    async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
        repository = Repository(db)
        await events.start_relay(repository.collection)
        use_cases = UseCases(repository, outbox=events.outbox(repository.collection))
        await events.consume(queue=..., routing_keys=ROUTING_KEYS, handler=Handler(...))
        yield

Beside each consumer runs the automatic replay of its dead letters (:mod:`.replayer`,
``DLQ_REPLAY_SECONDS``).

Closing runs in exactly the reverse order of opening: consumers first (their in-flight handlers
may still write, and so publish), then anything registered with :meth:`ServiceEvents.on_close`,
then the relay (drained), then the publisher; each stop is bounded by the same drain time. A
failure while opening closes whatever was already open.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

from aio_pika.abc import AbstractRobustConnection

from hintro_shared.config import ServiceSettings
from hintro_shared.events.consumer import DEFAULT_PREFETCH, EventConsumer, Handler
from hintro_shared.events.fastpath import RelayOutbox
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.events.relay import Collection, OutboxRelay
from hintro_shared.events.replayer import DeadLetterReplayer


class ServiceEvents:
    """A service's publisher, outbox relay and consumers as one async context manager."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        *,
        exchange: str,
        drain_seconds: float,
        replay_seconds: float = 0.0,
        replay_attempts: int = 0,
    ) -> None:
        self._connection = connection
        # Each consumer's dead letters are replayed automatically (0: off; see .replayer).
        self._replay_seconds = replay_seconds
        self._replay_attempts = replay_attempts
        self._exchange = exchange
        self._drain_seconds = drain_seconds
        self.publisher = EventPublisher(connection, exchange=exchange)
        self.relay = OutboxRelay(self.publisher)
        self._closers = contextlib.AsyncExitStack()

    @classmethod
    def from_settings(
        cls, connection: AbstractRobustConnection, settings: ServiceSettings
    ) -> ServiceEvents:
        """On ``settings.events_exchange``, draining for ``settings.shutdown_timeout_seconds``."""
        return cls(
            connection,
            exchange=settings.events_exchange,
            drain_seconds=settings.shutdown_timeout_seconds,
            replay_seconds=settings.dlq_replay_seconds,
            replay_attempts=settings.dlq_replay_attempts,
        )

    async def __aenter__(self) -> Self:
        await self.publisher.start()
        self._closers.push_async_callback(self.publisher.close)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._closers.aclose()

    async def start_relay(self, *collections: Collection) -> OutboxRelay:
        """Watch ``collections``, create the sweeper's indexes on them and start the sweeper."""
        for collection in collections:
            self.relay.watch(collection)
        await self.relay.create_indexes()
        self.relay.start()
        self._closers.push_async_callback(self.relay.stop, self._drain_seconds)
        return self.relay

    def outbox(self, collection: Collection) -> RelayOutbox:
        """The fast-path port for writes to ``collection`` (see :mod:`.fastpath`)."""
        return RelayOutbox(self.relay, collection)

    async def consume(
        self,
        *,
        queue: str,
        routing_keys: Sequence[str],
        handler: Handler,
        prefetch: int = DEFAULT_PREFETCH,
    ) -> EventConsumer:
        """Start consuming ``queue`` (bound to ``routing_keys``) on the service's exchange."""
        consumer = EventConsumer(
            self._connection,
            queue=queue,
            routing_keys=routing_keys,
            handler=handler,
            exchange=self._exchange,
            prefetch=prefetch,
        )
        await consumer.start()
        self._closers.push_async_callback(consumer.stop, self._drain_seconds)
        if self._replay_seconds > 0:
            replayer = DeadLetterReplayer(
                self._connection,
                queue,
                interval=self._replay_seconds,
                attempts=self._replay_attempts,
            )
            replayer.start()
            self._closers.push_async_callback(replayer.stop)
        return consumer

    def on_close(self, close: Callable[[], Awaitable[object]]) -> None:
        """Run ``close`` on exit, before whatever was opened so far is closed (e.g. a
        background worker that writes through the relay)."""
        self._closers.push_async_callback(close)
