"""The dead-letter tool on a real RabbitMQ: list leaves the letters in place; replay moves each
back to its queue, attempts reset, failure headers gone, replays counted, nothing lost."""

from __future__ import annotations

import aio_pika
import pytest

from hintro_shared.events.dlq import peek, replay
from hintro_shared.events.topology import dlq_name
from hintro_testkit.infra import rabbitmq_url, unique

pytestmark = pytest.mark.integration


async def test_list_then_replay_moves_every_dead_letter_back() -> None:
    queue = unique("dlqtool")
    connection = await aio_pika.connect(rabbitmq_url())
    async with connection:
        channel = await connection.channel()
        target = await channel.declare_queue(queue, durable=True)
        dead = await channel.declare_queue(dlq_name(queue), durable=True)
        try:
            for n in range(3):
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        body=f'{{"n": {n}}}'.encode(),
                        message_id=f"event-{n}",
                        type="board.member_removed",
                        headers={
                            "x-attempts": 6,
                            "x-dead-letter-reason": "failed",
                            "x-error": "MongoUnavailable()",
                            "x-failed-at": "2026-12-05T20:00:00+00:00",
                            "x-original-routing-key": "board.member_removed",
                        },
                    ),
                    routing_key=dlq_name(queue),
                )
            letters = await peek(connection, queue, 10)
            assert [letter.message_id for letter in letters] == ["event-0", "event-1", "event-2"]
            assert {letter.reason for letter in letters} == {"failed"}
            assert (await dead.declare()).message_count == 3  # still there

            assert await replay(connection, queue, limit=2) == 2
            assert await replay(connection, queue) == 1
            assert (await dead.declare()).message_count == 0
            moved = []
            while (message := await target.get(no_ack=True, fail=False)) is not None:
                moved.append(message)
            assert [m.message_id for m in moved] == ["event-0", "event-1", "event-2"]
            for message in moved:
                headers = dict(message.headers or {})
                assert headers["x-attempts"] == 1
                assert headers["x-replayed"] == 1
                assert "x-error" not in headers
                assert headers["x-original-routing-key"] == "board.member_removed"
                assert message.type == "board.member_removed"
        finally:
            await target.delete(if_unused=False, if_empty=False)
            await dead.delete(if_unused=False, if_empty=False)
