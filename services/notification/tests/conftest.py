"""Fixtures of the notification service's tests: one running service (fresh database,
exchange, queues and SMTP sink) per test module, see :mod:`services.notification.tests.support`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.notification.tests.support import Harness, running_harness


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running
