"""Dead-letter queues, from the command line: see what a consumer gave up on, and move it back
to its queue once the cause is fixed (docs/operations.md, "Dead letters").

    python -m hintro_shared.events.dlq list activity.log [--limit 20] [--parked]
    python -m hintro_shared.events.dlq replay activity.log [--limit 100] [--parked]

``QUEUE`` is the consumer's queue (``<queue>.dlq`` is read, or ``<queue>.parked`` with
``--parked``: what the automatic replay gave up on); the broker is ``RABBITMQ_URL``.
Every image ships it, so in Kubernetes: ``kubectl -n hintro exec deploy/activity -- python -m
hintro_shared.events.dlq replay activity.log``. A replayed message goes back to the queue with
its attempt count reset and ``x-replayed`` counting its replays; consumers are idempotent, so
replaying an event that was in fact handled is harmless.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from hintro_shared.events.topology import dlq_name, parked_name

ATTEMPTS_HEADER = "x-attempts"
FAILURE_HEADERS = ("x-dead-letter-reason", "x-error", "x-error-type", "x-failed-at")


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message, as an operator reads it."""

    message_id: str | None
    type: str | None
    reason: str
    error: str
    failed_at: str


def _text(headers: dict[str, Any], name: str) -> str:
    value = headers.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def describe(message: AbstractIncomingMessage) -> DeadLetter:
    """What a dead letter says about itself."""
    headers = dict(message.headers or {})
    return DeadLetter(
        message_id=message.message_id,
        type=message.type,
        reason=_text(headers, "x-dead-letter-reason"),
        error=_text(headers, "x-error"),
        failed_at=_text(headers, "x-failed-at"),
    )


def _source(queue: str, parked: bool) -> str:
    return parked_name(queue) if parked else dlq_name(queue)


async def _take(channel: AbstractChannel, source: str, limit: int | None) -> list[Any]:
    dead = await channel.declare_queue(source, durable=True, passive=True)
    taken: list[AbstractIncomingMessage] = []
    while limit is None or len(taken) < limit:
        message = await dead.get(no_ack=False, fail=False)
        if message is None:
            break
        taken.append(message)
    return taken


async def peek(
    connection: aio_pika.abc.AbstractConnection, queue: str, limit: int, *, parked: bool = False
) -> list[Any]:
    """Up to ``limit`` dead (or parked) letters of ``queue``, left in place."""
    channel = await connection.channel()
    try:
        taken = await _take(channel, _source(queue, parked), limit)
        letters = [describe(message) for message in taken]
        for message in taken:
            await message.nack(requeue=True)
        return letters
    finally:
        await channel.close()


async def replay(
    connection: aio_pika.abc.AbstractConnection,
    queue: str,
    *,
    limit: int | None = None,
    parked: bool = False,
) -> int:
    """Move dead (or parked) letters of ``queue`` back to it (each published with a confirm
    before the letter is acked, so none is lost on the way); the number moved."""
    channel = await connection.channel(publisher_confirms=True)
    try:
        await channel.declare_queue(queue, durable=True, passive=True)
        dead = await channel.declare_queue(_source(queue, parked), durable=True, passive=True)
        moved = 0
        while limit is None or moved < limit:
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {
                key: value
                for key, value in dict(message.headers or {}).items()
                if key not in FAILURE_HEADERS
            }
            replays = headers.get("x-replayed", 0)
            headers["x-replayed"] = (replays if isinstance(replays, int) else 0) + 1
            headers[ATTEMPTS_HEADER] = 1
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body=message.body,
                    headers=headers,
                    content_type=message.content_type or "application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    timestamp=message.timestamp,
                    type=message.type,
                    app_id=message.app_id,
                ),
                routing_key=queue,
            )
            await message.ack()
            moved += 1
        return moved
    finally:
        await channel.close()


async def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m hintro_shared.events.dlq", description=__doc__)
    parser.add_argument("action", choices=("list", "replay"))
    parser.add_argument("queue", help="the consumer's queue, e.g. activity.log")
    parser.add_argument("--limit", type=int, default=None, help="at most this many messages")
    parser.add_argument(
        "--parked", action="store_true", help="the parked letters instead of the dead letters"
    )
    parser.add_argument(
        "--rabbitmq-url", default=os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1/")
    )
    args = parser.parse_args(argv)
    connection = await aio_pika.connect(args.rabbitmq_url)
    async with connection:
        if args.action == "list":
            for letter in await peek(connection, args.queue, args.limit or 20, parked=args.parked):
                print(
                    f"{letter.failed_at}  {letter.type}  {letter.message_id}  "
                    f"{letter.reason}: {letter.error}"
                )
            return 0
        moved = await replay(connection, args.queue, limit=args.limit, parked=args.parked)
        source = _source(args.queue, args.parked)
        print(f"moved {moved} message(s) from {source} back to {args.queue}")
        return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
