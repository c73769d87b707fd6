"""The consumer base: a durable queue bound to some routing keys, a handler, and the rules
that keep a service's event intake reliable.

- ack only after ``handle`` returned (its own write is done); a crash before that redelivers;
- a failing handler is retried by republishing the message to a delay queue
  (``<queue>.retry.<ms>ms``, TTL then back to ``<queue>``) with ``x-attempts`` + 1, and the
  original is acked: the wait blocks no other message;
- after ``max_attempts`` failed attempts, or at once for a message that does not parse or
  validate, it goes to ``<queue>.dlq`` with the error in its headers, and is acked;
- retries and dead letters are published with confirms before the ack, so a message is never
  in neither place;
- the connection should come from ``connect_robust``: channel, queue, bindings and the
  consumer come back after a broker restart.

Handlers must be idempotent (redelivery and retries repeat them; see
:mod:`hintro_shared.events.idempotency`) and must not rely on order across aggregates; with
``prefetch > 1`` several messages are handled concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from hintro_shared.events.envelope import EventEnvelope, parse_envelope
from hintro_shared.events.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED
from hintro_shared.events.publisher import RETRYABLE
from hintro_shared.events.topology import (
    DEFAULT_EXCHANGE,
    declare_event_exchange,
    dlq_name,
    retry_queue_name,
)
from hintro_shared.logging import request_id_var

_log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"
Handler = Callable[[EventEnvelope], Awaitable[None]]

DEFAULT_PREFETCH = 32
"""Unacked deliveries a consumer holds at once unless told otherwise."""
DEFAULT_RETRY_DELAYS = (0.5, 2.0, 5.0, 10.0)
"""Seconds before the 1st, 2nd, ... retry of a failed delivery (the last one repeats)."""


def _attempts(message: AbstractIncomingMessage) -> int:
    raw = (message.headers or {}).get(ATTEMPTS_HEADER, 1)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return 1
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


class EventConsumer:
    """Consumes events from ``<queue>``; subclass and override :meth:`handle`, or pass
    ``handler``.

    ``start()`` declares the topology and begins consuming; ``stop()`` stops taking messages,
    waits for in-flight handlers (bounded) and closes the channel. Tie both to the app's
    lifecycle (``cleanup_ctx``).
    """

    def __init__(
        self,
        connection: AbstractRobustConnection,
        *,
        queue: str,
        routing_keys: Sequence[str],
        handler: Handler | None = None,
        exchange: str = DEFAULT_EXCHANGE,
        prefetch: int = DEFAULT_PREFETCH,
        max_attempts: int = 5,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        publish_timeout: float = 10.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not retry_delays or min(retry_delays) <= 0:
            raise ValueError("retry_delays needs at least one positive delay")
        self._connection = connection
        self.queue_name = queue
        self._routing_keys = list(routing_keys)
        self._handler = handler
        self._exchange_name = exchange
        self._prefetch = prefetch
        self.max_attempts = max_attempts
        self._retry_delays = list(retry_delays)
        self._publish_timeout = publish_timeout
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle(self, envelope: EventEnvelope) -> None:
        """Apply one event; raise to have it retried. Override, or pass ``handler``."""
        if self._handler is None:
            raise NotImplementedError("subclass EventConsumer.handle or pass handler=")
        await self._handler(envelope)

    def _retry_delay(self, failed_attempt: int) -> float:
        return self._retry_delays[min(failed_attempt, len(self._retry_delays)) - 1]

    async def start(self) -> None:
        """Declare exchange, queue, bindings, delay queues and DLQ, then start consuming."""
        if self._consumer_tag is not None:
            return
        # Confirms + returns raise: a retry or dead letter that the broker did not take
        # (e.g. its queue was deleted) is not acked away.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        await channel.set_qos(prefetch_count=self._prefetch)
        exchange = await declare_event_exchange(channel, self._exchange_name)
        await channel.declare_queue(dlq_name(self.queue_name), durable=True)
        for delay in sorted(set(self._retry_delays)):
            await channel.declare_queue(
                retry_queue_name(self.queue_name, delay),
                durable=True,
                arguments={
                    "x-message-ttl": round(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue_name,
                },
            )
        # A broker-side rejection (e.g. reject without requeue) also lands in the DLQ.
        queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dlq_name(self.queue_name),
            },
        )
        for key in self._routing_keys:
            await queue.bind(exchange, routing_key=key)
        self._channel, self._queue = channel, queue
        self._consumer_tag = await queue.consume(self._on_message)

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop consuming, wait up to ``drain_seconds`` for in-flight handlers, close the channel.

        Messages whose handler did not finish stay unacked and are redelivered."""
        queue, tag = self._queue, self._consumer_tag
        self._queue = self._consumer_tag = None
        if queue is not None and tag is not None:
            with contextlib.suppress(*RETRYABLE):
                await queue.cancel(tag)
        # The channel stays open meanwhile: finishing handlers still ack, retry or dead-letter.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), drain_seconds)
        channel, self._channel = self._channel, None
        if channel is not None and not channel.is_closed:
            await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._process(message)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _process(self, message: AbstractIncomingMessage) -> None:
        attempts = _attempts(message)
        try:
            envelope = parse_envelope(message.body)
        except ValueError as exc:
            await self._settle(message, self._dead_letter, message, exc, attempts, "invalid")
            return
        token = request_id_var.set(envelope.correlation_id)
        try:
            await self.handle(envelope)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if attempts >= self.max_attempts:
                _log.error(
                    "event handler failed for the last time; dead-lettered",
                    exc_info=exc,
                    extra={"eventId": envelope.id, "eventType": envelope.type},
                )
                await self._settle(message, self._dead_letter, message, exc, attempts, "failed")
            else:
                _log.warning(
                    "event handler failed; will retry",
                    extra={"eventId": envelope.id, "attempt": attempts, "error": repr(exc)},
                )
                await self._settle(message, self._retry, message, exc, attempts)
            return
        finally:
            request_id_var.reset(token)
        if await self._ack(message):
            EVENTS_CONSUMED.labels(self.queue_name, envelope.type).inc()

    @staticmethod
    async def _ack(message: AbstractIncomingMessage) -> bool:
        try:
            await message.ack()
        except RETRYABLE as exc:
            # The channel died under us: the broker redelivers, the handler is idempotent.
            _log.warning("ack failed; the event will be redelivered", extra={"error": repr(exc)})
            return False
        return True

    async def _settle(
        self,
        message: AbstractIncomingMessage,
        route: Callable[..., Awaitable[None]],
        *args: Any,
    ) -> None:
        """Publish the message onward (retry queue or DLQ), then ack; if that publish cannot
        be confirmed, leave the message to be redelivered rather than lose it."""
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(RETRYABLE),
                stop=stop_after_delay(self._publish_timeout),
                wait=wait_exponential(multiplier=0.1, max=2.0),
                reraise=True,
            ):
                with attempt:
                    await route(*args)
        except RETRYABLE as exc:
            _log.error("could not re-route a failed event; it will be redelivered", exc_info=exc)
            with contextlib.suppress(*RETRYABLE):
                await message.nack(requeue=True)
            return
        await self._ack(message)

    @staticmethod
    def _forward(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
        original = dict(message.headers or {})
        # After a retry the routing key is the queue's name; keep the first one.
        original.setdefault("x-original-routing-key", message.routing_key or "")
        return aio_pika.Message(
            body=message.body,
            headers={**original, **headers},
            content_type=message.content_type or "application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            type=message.type,
            app_id=message.app_id,
        )

    def _open_channel(self) -> AbstractChannel:
        if self._channel is None:
            raise RuntimeError("the consumer is stopped")
        return self._channel

    async def _retry(
        self, message: AbstractIncomingMessage, exc: BaseException, attempts: int
    ) -> None:
        delay_queue = retry_queue_name(self.queue_name, self._retry_delay(attempts))
        forward = self._forward(
            message,
            {
                ATTEMPTS_HEADER: attempts + 1,
                "x-last-error": repr(exc)[:1000],
            },
        )
        await self._open_channel().default_exchange.publish(
            forward, routing_key=delay_queue, timeout=self._publish_timeout
        )
        EVENTS_RETRIED.labels(self.queue_name, message.type or "unknown").inc()

    async def _dead_letter(
        self, message: AbstractIncomingMessage, exc: BaseException, attempts: int, reason: str
    ) -> None:
        forward = self._forward(
            message,
            {
                ATTEMPTS_HEADER: attempts,
                "x-dead-letter-reason": reason,
                "x-error": repr(exc)[:2000],
                "x-error-type": type(exc).__name__,
                "x-failed-at": datetime.now(UTC).isoformat(),
            },
        )
        await self._open_channel().default_exchange.publish(
            forward, routing_key=dlq_name(self.queue_name), timeout=self._publish_timeout
        )
        EVENTS_DEAD_LETTERED.labels(self.queue_name, message.type or "unknown", reason).inc()
