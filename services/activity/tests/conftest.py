"""Fixtures of the activity service's tests: one running service (fresh database, exchange and
queues) per test module, see :mod:`services.activity.tests.support`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.activity.tests.support import Harness, running_harness


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running
