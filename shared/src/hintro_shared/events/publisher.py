"""Publishing events to the topic exchange with publisher confirms.

An event counts as published only once the broker has confirmed it (``Basic.Ack``). A nack, a
return (``mandatory``: not even the alternate exchange could route it), a timeout or a lost
connection is retried with backoff until confirmed or until the caller's time budget runs out;
the outbox keeps the event meanwhile, so nothing is lost when the budget ends.

Events no queue is bound for yet are routed by the broker to the alternate exchange and kept in
``<exchange>.unrouted``. Each publisher also taps that exchange with a private auto-delete
queue and counts and logs the events it published itself (matched by the ``x-publisher``
header), so an unbound routing key shows up in ``hintro_events_unrouted_total``.
"""

from __future__ import annotations

import logging
import uuid

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, DeliveryError, PublishError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    stop_never,
    wait_exponential_jitter,
)

from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.metrics import EVENTS_PUBLISH_FAILURES, EVENTS_PUBLISHED, EVENTS_UNROUTED
from hintro_shared.events.topology import (
    DEFAULT_EXCHANGE,
    DEFAULT_UNROUTED_MAX_LENGTH,
    declare_event_exchange,
    unrouted_name,
)

_log = logging.getLogger(__name__)

PUBLISHER_HEADER = "x-publisher"
CORRELATION_HEADER = "x-correlation-id"
RETRYABLE = (*CONNECTION_EXCEPTIONS, TimeoutError, DeliveryError)


class EventPublisher:
    """Publishes envelopes to one durable topic exchange, routing key = event type.

    Use one per process: ``await start()`` in the app's start-up, ``await close()`` on
    shutdown. ``connection`` should come from ``aio_pika.connect_robust`` so the channel,
    exchange and tap come back by themselves after a broker restart.
    """

    def __init__(
        self,
        connection: AbstractRobustConnection,
        *,
        exchange: str = DEFAULT_EXCHANGE,
        confirm_timeout: float = 5.0,
        unrouted_max_length: int = DEFAULT_UNROUTED_MAX_LENGTH,
        watch_unrouted: bool = True,
    ) -> None:
        self._connection = connection
        self.exchange_name = exchange
        self._confirm_timeout = confirm_timeout
        self._unrouted_max_length = unrouted_max_length
        self._watch_unrouted = watch_unrouted
        self.instance_id = uuid.uuid4().hex
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._tap: AbstractQueue | None = None

    async def start(self) -> None:
        """Open a confirming channel and declare the exchange topology (idempotent)."""
        if self._exchange is not None:
            return
        # on_return_raises: a returned (unroutable even via the alternate exchange) message
        # fails the publish instead of passing silently.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await declare_event_exchange(
            channel, self.exchange_name, unrouted_max_length=self._unrouted_max_length
        )
        self._channel = channel
        if self._watch_unrouted:
            await self._start_tap(channel)

    async def _start_tap(self, channel: AbstractChannel) -> None:
        tap = await channel.declare_queue(
            f"{unrouted_name(self.exchange_name)}.tap.{self.instance_id}",
            exclusive=True,
            auto_delete=True,
            arguments={"x-max-length": 10_000},
        )
        await tap.bind(unrouted_name(self.exchange_name))
        await tap.consume(self._on_unrouted, no_ack=True)
        self._tap = tap

    async def _on_unrouted(self, message: AbstractIncomingMessage) -> None:
        # Every publisher's tap sees every unrouted event; count only our own so the metric
        # is not multiplied by the number of processes.
        if (message.headers or {}).get(PUBLISHER_HEADER) != self.instance_id:
            return
        event_type = message.routing_key or "unknown"
        EVENTS_UNROUTED.labels(self.exchange_name, event_type).inc()
        _log.warning(
            "event not routed to any queue; kept in %s",
            unrouted_name(self.exchange_name),
            extra={"eventId": message.message_id, "eventType": event_type},
        )

    async def close(self) -> None:
        """Close the channel (the connection belongs to the caller)."""
        channel, self._channel, self._exchange, self._tap = self._channel, None, None, None
        if channel is not None and not channel.is_closed:
            await channel.close()

    def _message(self, envelope: EventEnvelope) -> aio_pika.Message:
        return aio_pika.Message(
            body=envelope.to_json(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=envelope.id,
            correlation_id=envelope.correlation_id,
            timestamp=envelope.time,
            type=envelope.type,
            app_id=envelope.source,
            headers={
                CORRELATION_HEADER: envelope.correlation_id,
                PUBLISHER_HEADER: self.instance_id,
                "x-event-version": envelope.version,
            },
        )

    async def publish(self, envelope: EventEnvelope, *, within: float | None = None) -> None:
        """Publish and wait for the broker's confirm, retrying failures with backoff.

        ``within``: give up after so many seconds by re-raising the last error (``None``:
        keep trying until confirmed). Callers that hold the event in an outbox pass a budget.
        """
        if self._exchange is None:
            raise RuntimeError("EventPublisher.start() was not awaited")
        exchange = self._exchange
        message = self._message(envelope)

        def record_failure(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = type(exc).__name__ if exc else "unknown"
            if isinstance(exc, PublishError):
                reason = "returned"
            EVENTS_PUBLISH_FAILURES.labels(self.exchange_name, envelope.type, reason).inc()
            _log.warning(
                "publish failed; retrying",
                extra={"eventId": envelope.id, "eventType": envelope.type, "error": repr(exc)},
            )

        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(RETRYABLE),
            stop=stop_never if within is None else stop_after_delay(within),
            wait=wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.05),
            before_sleep=record_failure,
            reraise=True,
        ):
            with attempt:
                await exchange.publish(
                    message,
                    routing_key=envelope.type,
                    mandatory=True,
                    timeout=self._confirm_timeout,
                )
        EVENTS_PUBLISHED.labels(self.exchange_name, envelope.type).inc()
