"""MongoDB through PyMongo's native async API, opened and closed in the app's lifecycle.

PyMongo reconnects by itself; short server-selection timeouts make a request whose database is
down fail fast (the error middleware answers 503) instead of hanging for the 30 s default.
Every client reports command latency and pool use to Prometheus (``mongo_metrics``).

``MONGO_READ_DB`` is the same database with ``MONGO_READ_PREFERENCE`` applied: for reads that
tolerate replication lag (they may then go to a secondary). ``MONGO_DB`` always reads the primary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_preferences import (
    Nearest,
    Primary,
    PrimaryPreferred,
    Secondary,
    SecondaryPreferred,
)

from hintro_shared.config import ServiceSettings
from hintro_shared.health import HEALTH
from hintro_shared.mongo_metrics import mongo_listeners
from hintro_shared.retry import retry_startup

Document = dict[str, Any]
MONGO_CLIENT = web.AppKey("hintro.mongo_client", AsyncMongoClient[Document])
MONGO_DB = web.AppKey("hintro.mongo_db", AsyncDatabase[Document])
MONGO_READ_DB = web.AppKey("hintro.mongo_read_db", AsyncDatabase[Document])

ReadPreference = Primary | PrimaryPreferred | Secondary | SecondaryPreferred | Nearest
_NON_PRIMARY: dict[str, type[PrimaryPreferred | Secondary | SecondaryPreferred | Nearest]] = {
    "primaryPreferred": PrimaryPreferred,
    "secondary": Secondary,
    "secondaryPreferred": SecondaryPreferred,
    "nearest": Nearest,
}


def exactly(value: str) -> dict[str, str]:
    """The condition "equal to ``value``" on a field that holds one string (an id), written as
    a closed range so an index serves it on the embedded server too.

    nx-27017 compiles an equality to SQL that also tests array elements (``= ? OR EXISTS
    (SELECT 1 FROM json_each(...))``), which no index serves: the query reads every document
    of the collection (a list's page of tasks: 11 ms of its CPU at 6,000 tasks in the database,
    growing with them), while a range is a plain comparison its index serves (2.5 ms). On
    MongoDB both are the same index bounds, and the results are the same for a string field
    (``services/task/tests/test_task_mongo_conformance.py``)."""
    return {"$gte": value, "$lte": value}


def make_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    """A pooled client with fast failure when the server is unreachable."""
    return AsyncMongoClient(
        settings.mongo_url,
        maxPoolSize=settings.mongo_max_pool_size,
        minPoolSize=settings.mongo_min_pool_size,
        serverSelectionTimeoutMS=2000,
        connectTimeoutMS=2000,
        tz_aware=True,
        appname=f"hintro-{settings.service_name}",
        event_listeners=mongo_listeners(settings.mongo_max_pool_size),
    )


def read_preference(settings: ServiceSettings) -> ReadPreference:
    """``MONGO_READ_PREFERENCE`` (with ``MONGO_MAX_STALENESS_SECONDS``) as a PyMongo mode."""
    mode = settings.mongo_read_preference
    if mode == "primary":
        return Primary()
    return _NON_PRIMARY[mode](max_staleness=settings.mongo_max_staleness_seconds)


def read_database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    """The service's database for lag-tolerant reads (``MONGO_READ_PREFERENCE``)."""
    return client.get_database(settings.database_name, read_preference=read_preference(settings))


def mongo_ctx(
    settings: ServiceSettings,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that connects (retrying at start-up), registers readiness, and closes."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        client = make_client(settings)

        async def ping() -> None:
            await client.admin.command("ping")

        await retry_startup("mongodb", ping, settings.startup_timeout_seconds)
        app[MONGO_CLIENT] = client
        app[MONGO_DB] = client[settings.database_name]
        app[MONGO_READ_DB] = read_database(client, settings)
        app[HEALTH].add("mongodb", ping)
        yield
        await client.close()

    return ctx
