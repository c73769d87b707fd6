"""Fixtures of the activity service's tests: one running service (fresh database, exchange and
queues) per test module, see :mod:`hintro_activity.testing`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection

from hintro_activity.testing import Harness, running_harness
from hintro_shared.testing import rabbitmq_url


@pytest.fixture(scope="module")
async def rabbit() -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(rabbitmq_url())
    yield connection
    await connection.close()


@pytest.fixture(scope="module")
async def harness(rabbit: AbstractRobustConnection) -> AsyncIterator[Harness]:
    async with running_harness(rabbit) as running:
        yield running
