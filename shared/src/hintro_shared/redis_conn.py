"""Redis (redis-py asyncio) opened in the app's lifecycle.

redis-py reconnects on the next command after a failure; short socket timeouts keep a dead
Redis from stalling requests. A service that can live without Redis (the gateway's limiter,
the read cache) registers it as optional: readiness then reports it ``degraded`` instead of
failing, and start-up does not wait for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import redis.asyncio as aioredis
from aiohttp import web

from hintro_shared.config import ServiceSettings
from hintro_shared.health import HEALTH
from hintro_shared.retry import retry_startup

REDIS = web.AppKey("hintro.redis", aioredis.Redis)


def make_redis(url: str) -> aioredis.Redis:
    """A pooled client whose commands fail within about a second when Redis is away."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        max_connections=200,
    )


def redis_ctx(
    settings: ServiceSettings, *, required: bool = True
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` for Redis; ``required=False`` for services that degrade without it."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        client = make_redis(settings.redis_url)

        async def ping() -> None:
            await client.ping()

        if required:
            await retry_startup("redis", ping, settings.startup_timeout_seconds)
        app[REDIS] = client
        app[HEALTH].add("redis", ping, required=required)
        yield
        await client.aclose()

    return ctx
