"""Events into the realtime service: the ordered push queue.

``<PUSH_QUEUE>`` (default ``realtime.push``) is one durable queue shared by every replica,
bound to ``activity.recorded`` and ``board.deleted``, declared with
``x-single-active-consumer``: the broker delivers to one replica's consumer at a time and moves
the role to another when it goes away. Messages are handed to the :class:`Pusher` one at a time
in arrival order by a single worker; ``prefetch`` is the number it may hold unacknowledged while
waiting for a missing seq. A message that is not a valid event is rejected to ``<queue>.dlq``.

Why not the shared ``EventConsumer``: its failed messages wait in delay queues, which would let
later events of the board overtake them; here a failure is retried in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from pydantic import ValidationError

from hintro_realtime.domain import BOARD_DELETED, Push
from hintro_realtime.pusher import Incoming, Pusher, Settle
from hintro_shared.events.catalogue import ActivityRecorded, BoardDeleted, NotificationCreated
from hintro_shared.events.envelope import EventEnvelope, parse_envelope
from hintro_shared.events.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from hintro_shared.events.topology import declare_event_exchange, dlq_name
from hintro_shared.logging import request_id_var
from hintro_shared.timeutil import rfc3339

_log = logging.getLogger(__name__)

ACTIVITY_RECORDED = "activity.recorded"
ROUTING_KEYS = (ACTIVITY_RECORDED, BOARD_DELETED)
NOTIFICATION_CREATED = "notification.created"


class UserFanout(Protocol):
    """Sends to a user's sockets on every replica (see ``RealtimeManager.notify``)."""

    async def notify(self, user_id: str, payload: dict[str, Any]) -> None: ...


def recorded_push(envelope: EventEnvelope) -> Push:
    """The push of an ``activity.recorded`` event (raises ``ValidationError``)."""
    recorded = envelope.data_as(ActivityRecorded)
    return Push(
        id=recorded.event_id,
        type=recorded.event_type,
        board_id=recorded.board_id,
        seq=recorded.seq,
        actor_id=recorded.actor_id,
        occurred_at=recorded.occurred_at,  # the very string the entry shows
        data=recorded.data,
    )


def deleted_push(envelope: EventEnvelope) -> Push:
    """The push of a ``board.deleted`` event: no seq, the board's log ends with it."""
    deleted = envelope.data_as(BoardDeleted)
    return Push(
        id=envelope.id,
        type=envelope.type,
        board_id=deleted.board_id,
        seq=None,
        actor_id=envelope.actor_id,
        occurred_at=rfc3339(envelope.time),
        data=envelope.data,
    )


def _settler(message: AbstractIncomingMessage) -> Settle:
    async def settle() -> None:
        # A dead channel means the broker requeued the message already; it comes back.
        with contextlib.suppress(*CONNECTION_EXCEPTIONS, RuntimeError):
            await message.ack()

    return settle


class PushConsumer:
    """Feeds the :class:`Pusher` from the push queue; ``start()``/``stop()`` in the app's
    lifecycle."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        pusher: Pusher,
        *,
        queue: str,
        exchange: str,
        prefetch: int,
    ) -> None:
        self._connection = connection
        self._pusher = pusher
        self.queue_name = queue
        self._exchange = exchange
        self._prefetch = prefetch
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Declare the queue (single active consumer, DLQ) and start consuming."""
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        exchange = await declare_event_exchange(channel, self._exchange)
        await channel.declare_queue(dlq_name(self.queue_name), durable=True)
        queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-single-active-consumer": True,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dlq_name(self.queue_name),
            },
        )
        for key in ROUTING_KEYS:
            await queue.bind(exchange, routing_key=key)
        self._channel, self._queue = channel, queue
        self._worker = asyncio.create_task(self._work(), name="realtime-pusher")
        await queue.consume(self._on_message)

    async def stop(self) -> None:
        """Stop pushing and close the channel: the unacknowledged messages go back to the
        queue in order, for the replica that becomes the active consumer next."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        channel, self._channel, self._queue = self._channel, None, None
        if channel is not None and not channel.is_closed:
            with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._inbox.put_nowait(message)  # one worker, in arrival order

    async def _work(self) -> None:
        while True:
            wait = self._pusher.seconds_to_wait()
            if wait is not None and wait <= 0:
                # Checked first, so a busy inbox cannot postpone a board's expired wait.
                await self._pusher.expire()
                continue
            try:
                message = await asyncio.wait_for(self._inbox.get(), wait)
            except TimeoutError:
                continue
            try:
                await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The pusher retries its own failures; anything else is a bug. The message
                # stays unacknowledged and comes back after a reconnect or failover.
                _log.exception("push failed", extra={"messageId": message.message_id})

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = parse_envelope(message.body)
            build = recorded_push if envelope.type == ACTIVITY_RECORDED else deleted_push
            push = build(envelope)
        except (ValueError, ValidationError) as exc:
            _log.error("invalid event dead-lettered", extra={"error": str(exc)[:500]})
            routing_key = message.routing_key or "unknown"
            EVENTS_DEAD_LETTERED.labels(self.queue_name, routing_key, "invalid").inc()
            with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                await message.reject(requeue=False)
            return
        token = request_id_var.set(envelope.correlation_id)
        try:
            item = Incoming(push, envelope.origin_socket_id, _settler(message))
            if envelope.type == ACTIVITY_RECORDED:
                await self._pusher.recorded(item)
            else:
                await self._pusher.deleted(item)
        finally:
            request_id_var.reset(token)
        EVENTS_CONSUMED.labels(self.queue_name, envelope.type).inc()


class NotificationPusher:
    """The handler of ``<NOTIFICATION_PUSH_QUEUE>`` (the shared ``EventConsumer``: every
    replica competes for it, order does not matter): a ``notification.created`` event goes to
    its user's room as a ``notification`` push, on every replica through Redis."""

    def __init__(self, fanout: UserFanout) -> None:
        self._fanout = fanout

    async def __call__(self, envelope: EventEnvelope) -> None:
        created = envelope.data_as(NotificationCreated)
        await self._fanout.notify(created.user_id, created.model_dump(mode="json"))
