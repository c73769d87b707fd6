"""Helpers for the suite's tests: where the real infrastructure is, unique names, scratch
databases and broker connections, and waiting for a condition instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

T = TypeVar("T")

DEFAULT_TEST_MONGO_URL = "mongodb://127.0.0.1:27117"


def mongo_url() -> str:
    """The MongoDB wire server the tests use (``make test`` starts nx-27017 there)."""
    return os.environ.get("MONGO_URL", DEFAULT_TEST_MONGO_URL)


def rabbitmq_url() -> str:
    """The broker the tests use."""
    return os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def redis_url() -> str:
    """The Redis the tests use."""
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def unique(prefix: str) -> str:
    """A name no other test (or run) uses, so tests can run in parallel and be rerun."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def isolated_settings(prefix: str) -> dict[str, Any]:
    """Settings values that point a service at the test infrastructure under names no other
    test uses (database, events exchange): ``Settings(**isolated_settings("task"), ...)``."""
    return {
        "environment": "test",
        "mongo_url": mongo_url(),
        "mongo_db": unique(f"{prefix}_test"),
        "rabbitmq_url": rabbitmq_url(),
        "redis_url": redis_url(),
        "events_exchange": unique(f"{prefix}_events"),
    }


async def wait_for(
    condition: Callable[[], Awaitable[T | None]],
    *,
    within: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll ``condition`` until it returns a truthy value, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    last_error: BaseException | None = None
    while True:
        try:
            value = await condition()
            if value:
                return value
        except Exception as exc:
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}") from last_error
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of its own (``unique(prefix)``) on the test MongoDB, dropped afterwards.

    Bounded waits: a server that is not there fails the test in seconds, not minutes."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url(), tz_aware=True, serverSelectionTimeoutMS=5000, timeoutMS=10_000
    )
    database = client[unique(prefix)]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()


@contextlib.asynccontextmanager
async def rabbit_connection() -> AsyncIterator[AbstractRobustConnection]:
    """A robust connection to the test broker, closed afterwards."""
    connection = await aio_pika.connect_robust(rabbitmq_url())
    try:
        yield connection
    finally:
        await connection.close()
