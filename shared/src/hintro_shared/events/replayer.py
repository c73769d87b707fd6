"""Dead letters replayed automatically, with backoff, a bounded number of times, then parked.

A consumer dead-letters a message after its retries (about 30 s) or at once when it is not a
valid event (:mod:`.consumer`). Most failures of the first kind are outages that end (the
database was away for a minute), so waiting for a person to replay them leaves a service
missing what the event said for hours. :class:`DeadLetterReplayer` runs beside each consumer:

- every ``interval`` seconds it looks at ``<queue>.dlq``; a letter that failed (not an invalid
  one) and has been replayed ``n`` times goes back to ``<queue>`` once ``interval * 2**n``
  seconds have passed since it failed (``x-failed-at``), at most ``attempts`` times;
- a letter past its attempts, or an invalid one (replaying cannot help it), moves to
  ``<queue>.parked``, where only a person acts on it (``python -m hintro_shared.events.dlq``,
  docs/operations.md "Dead letters");
- the depths of both are exported as gauges (``hintro_events_dlq_depth`` and
  ``hintro_events_parked_depth``, label ``queue``) on ``/metrics``, which the alerts
  ``HintroDeadLettersStuck`` and ``HintroDeadLettersParked`` watch (k8s/base/monitoring).

Every move publishes with a broker confirm before the letter is acked, so nothing is lost on
the way; consumers are idempotent, so replaying a letter that was in fact handled is harmless.
Replicas each run one: a letter is taken by one of them at a time (unacked while decided).
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from hintro_shared.events.dlq import ATTEMPTS_HEADER, FAILURE_HEADERS
from hintro_shared.events.metrics import DLQ_DEPTH, DLQ_PARKED, DLQ_REPLAYED, PARKED_DEPTH
from hintro_shared.events.topology import dlq_name, parked_name
from hintro_shared.periodic import Periodic

_log = logging.getLogger(__name__)

REPLAYED_HEADER = "x-replayed"
PARKED_AT_HEADER = "x-parked-at"


def _text(headers: dict[str, Any], name: str) -> str:
    value = headers.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def _failed_at(headers: dict[str, Any]) -> float | None:
    text = _text(headers, "x-failed-at")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _copy(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        body=message.body,
        headers=headers,
        content_type=message.content_type or "application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
    )


class DeadLetterReplayer:
    """The automatic replay of one consumer queue's dead letters."""

    def __init__(
        self,
        connection: AbstractConnection,
        queue: str,
        *,
        interval: float,
        attempts: int,
        batch: int = 500,
        clock: Any = time.time,
    ) -> None:
        self._connection = connection
        self.queue = queue
        self._interval = interval
        self._attempts = attempts
        self._batch = batch
        self._clock = clock
        self._loop = Periodic(f"dlq-replayer-{queue}", interval, self.run_once)

    def due(self, headers: dict[str, Any]) -> bool:
        """Whether a failed letter's backoff has passed (``interval * 2**replays`` since it
        failed; a letter without a failure time is due at once)."""
        failed = _failed_at(headers)
        replays = headers.get(REPLAYED_HEADER, 0)
        replays = replays if isinstance(replays, int) else 0
        return failed is None or self._clock() - failed >= self._interval * 2**replays

    async def run_once(self) -> tuple[int, int]:
        """One pass over the dead letters: (replayed, parked)."""
        channel = await self._connection.channel(publisher_confirms=True)
        try:
            return await self._pass(channel)
        finally:
            with contextlib.suppress(Exception):
                await channel.close()

    async def _pass(self, channel: AbstractChannel) -> tuple[int, int]:
        await channel.declare_queue(parked_name(self.queue), durable=True)
        dead = await channel.declare_queue(dlq_name(self.queue), durable=True, passive=True)
        taken: list[AbstractIncomingMessage] = []
        while len(taken) < self._batch:
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                break
            taken.append(message)
        replayed = parked = 0
        for message in taken:
            headers = dict(message.headers or {})
            replays = headers.get(REPLAYED_HEADER, 0)
            replays = replays if isinstance(replays, int) else 0
            invalid = _text(headers, "x-dead-letter-reason") == "invalid"
            if invalid or replays >= self._attempts:
                headers[PARKED_AT_HEADER] = datetime.now(UTC).isoformat()
                await channel.default_exchange.publish(
                    _copy(message, headers), routing_key=parked_name(self.queue)
                )
                await message.ack()
                parked += 1
                reason = "invalid" if invalid else "attempts"
                DLQ_PARKED.labels(self.queue, reason).inc()
                _log.error(
                    "dead letter parked",
                    extra={"queue": self.queue, "eventType": message.type, "reason": reason},
                )
            elif self.due(headers):
                fresh = {k: v for k, v in headers.items() if k not in FAILURE_HEADERS}
                fresh[REPLAYED_HEADER] = replays + 1
                fresh[ATTEMPTS_HEADER] = 1
                await channel.default_exchange.publish(
                    _copy(message, fresh), routing_key=self.queue
                )
                await message.ack()
                replayed += 1
                DLQ_REPLAYED.labels(self.queue).inc()
                _log.warning(
                    "dead letter replayed",
                    extra={"queue": self.queue, "eventType": message.type, "replay": replays + 1},
                )
            else:
                await message.nack(requeue=True)
        await self._export(channel)
        return replayed, parked

    async def _export(self, channel: AbstractChannel) -> None:
        underlay = await channel.get_underlay_channel()
        dead = await underlay.queue_declare(dlq_name(self.queue), passive=True)
        kept = await underlay.queue_declare(parked_name(self.queue), passive=True)
        DLQ_DEPTH.labels(self.queue).set(int(dead.message_count or 0))
        PARKED_DEPTH.labels(self.queue).set(int(kept.message_count or 0))

    def start(self) -> None:
        """Start the background loop (idempotent). A failed pass (the broker away) is logged
        and the next one tries again."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the loop."""
        await self._loop.stop()
