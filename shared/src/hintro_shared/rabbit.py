"""RabbitMQ (aio-pika) opened in the app's lifecycle.

``connect_robust`` re-establishes the connection, its channels, exchanges, queues and consumers
after a broker restart, so a service recovers without being restarted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from aiohttp import web

from hintro_shared.config import ServiceSettings
from hintro_shared.errors import DependencyUnavailable
from hintro_shared.health import HEALTH
from hintro_shared.retry import retry_startup

RABBIT = web.AppKey("hintro.rabbit", AbstractRobustConnection)


async def connect(settings: ServiceSettings) -> AbstractRobustConnection:
    """Connect with start-up retries; the returned connection heals itself afterwards."""

    async def attempt() -> AbstractRobustConnection:
        return await aio_pika.connect_robust(
            settings.rabbitmq_url,
            client_properties={"connection_name": f"hintro-{settings.service_name}"},
            timeout=5,
        )

    return await retry_startup("rabbitmq", attempt, settings.startup_timeout_seconds)


def rabbit_ctx(
    settings: ServiceSettings,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that opens the broker connection and registers its readiness check.

    Put it before the publisher's and consumers' contexts so they close first."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        connection = await connect(settings)

        async def check() -> None:
            if connection.is_closed or not connection.connected.is_set():
                raise DependencyUnavailable("broker connection is down")

        app[RABBIT] = connection
        app[HEALTH].add("rabbitmq", check)
        yield
        await connection.close()

    return ctx
