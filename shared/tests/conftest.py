"""Fixtures of the shared library's integration tests: a scratch database and a broker
connection per test (see :mod:`hintro_testkit.infra`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from pymongo.asynchronous.database import AsyncDatabase

from hintro_testkit.infra import rabbit_connection, scratch_database


@pytest.fixture
async def db(request: pytest.FixtureRequest) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of the test's own, named after its module, dropped afterwards."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    async with scratch_database(module) as database:
        yield database


@pytest.fixture
async def rabbit() -> AsyncIterator[AbstractRobustConnection]:
    """A connection to the test broker."""
    async with rabbit_connection() as connection:
        yield connection
