"""Names and declarations of the broker objects the event layer uses, in one place so the
publisher and every consumer declare them identically (RabbitMQ refuses a re-declaration with
different arguments).

- ``<exchange>``            durable topic exchange, routing key = event type, with
                            ``alternate-exchange = <exchange>.unrouted``
- ``<exchange>.unrouted``   durable fanout exchange + durable bounded queue of the same name that
                            keep events no queue is bound for
- ``<queue>``               a consumer's durable queue; rejected messages go to ``<queue>.dlq``
- ``<queue>.retry.<ms>ms``  delay queues: a failed message waits there, then returns to ``<queue>``
- ``<queue>.dlq``           dead letters: attempts exhausted or the message was invalid
- ``<queue>.parked``        dead letters automatic replay gave up on (or invalid ones)
"""

from __future__ import annotations

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange

DEFAULT_EXCHANGE = "hintro.events"
DEFAULT_UNROUTED_MAX_LENGTH = 100_000


def unrouted_name(exchange: str) -> str:
    """Alternate exchange and queue that keep unroutable events."""
    return f"{exchange}.unrouted"


def parked_name(queue: str) -> str:
    """The queue of ``queue``'s dead letters that automatic replay gave up on (``.replayer``)."""
    return f"{queue}.parked"


def dlq_name(queue: str) -> str:
    """A consumer queue's dead-letter queue."""
    return f"{queue}.dlq"


def retry_queue_name(queue: str, delay: float) -> str:
    """The delay queue a failed message of ``queue`` waits in for ``delay`` seconds."""
    return f"{queue}.retry.{round(delay * 1000)}ms"


async def declare_event_exchange(
    channel: AbstractChannel,
    exchange: str = DEFAULT_EXCHANGE,
    *,
    unrouted_max_length: int = DEFAULT_UNROUTED_MAX_LENGTH,
) -> AbstractExchange:
    """Declare the events exchange with its alternate exchange and unrouted queue; idempotent."""
    unrouted = unrouted_name(exchange)
    alternate = await channel.declare_exchange(unrouted, ExchangeType.FANOUT, durable=True)
    # Bounded so a forgotten binding cannot fill the broker; the oldest are dropped first.
    kept = await channel.declare_queue(
        unrouted, durable=True, arguments={"x-max-length": unrouted_max_length}
    )
    await kept.bind(alternate)
    return await channel.declare_exchange(
        exchange,
        ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": unrouted},
    )
