"""Fixtures of the task service's tests: one running service (fresh database, exchange and
queues) per test module, see :mod:`services.task.tests.support`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.task.tests.support import Harness, running_harness


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running
