"""MongoDB through PyMongo's native async API, opened and closed in the app's lifecycle.

PyMongo reconnects by itself; short server-selection timeouts make a request whose database is
down fail fast (the error middleware answers 503) instead of hanging for the 30 s default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.config import ServiceSettings
from hintro_shared.health import HEALTH
from hintro_shared.retry import retry_startup

Document = dict[str, Any]
MONGO_CLIENT = web.AppKey("hintro.mongo_client", AsyncMongoClient[Document])
MONGO_DB = web.AppKey("hintro.mongo_db", AsyncDatabase[Document])


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
    )


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
        app[HEALTH].add("mongodb", ping)
        yield
        await client.close()

    return ctx
