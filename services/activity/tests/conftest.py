"""Fixtures of the activity service's tests: one running service (fresh database, exchange and
queues) per test module, see :mod:`hintro_activity.testing`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hintro_activity.testing import Harness, running_harness


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running
