"""The realtime service's composition root: the only place that wires adapters to use cases.

Socket.IO (python-socketio ``AsyncServer``) is attached to the shared base app, so
``/healthz``, ``/readyz`` and ``/metrics`` sit beside ``/socket.io/``. Resources open in this
order and close in reverse: Redis (the pusher's seq cursor; required), RabbitMQ, the token
verifier, the Socket.IO manager's Redis fan-out (waited for with a ping round trip) with the
use cases and handlers, then the push consumer. On shutdown the sockets are closed first, so
clients reconnect to another replica at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web

from hintro_realtime.config import Settings
from hintro_realtime.consumers import NOTIFICATION_CREATED, NotificationPusher, PushConsumer
from hintro_realtime.manager import RealtimeManager
from hintro_realtime.pusher import Pusher
from hintro_realtime.repository import RedisSeqCursor
from hintro_realtime.routes import OPERATIONS
from hintro_realtime.service import RealtimeService
from hintro_realtime.sockets import (
    attach,
    create_server,
    disconnect_all,
    register_handlers,
    session_bounds_middleware,
)
from hintro_realtime.upstreams import ActivityLog, BoardMembership
from hintro_shared.events.consumer import EventConsumer
from hintro_shared.health import HEALTH
from hintro_shared.http import create_base_app
from hintro_shared.openapi import add_operations
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.redis_conn import REDIS, redis_ctx
from hintro_shared.retry import retry_startup
from hintro_shared.tokens import TOKEN_VERIFIER, KeySource, token_verifier_ctx

Ctx = Callable[[web.Application], AsyncIterator[None]]

REALTIME_SETTINGS = web.AppKey("hintro.realtime.settings", Settings)
SOCKET_MANAGER = web.AppKey("hintro.realtime.manager", RealtimeManager)
SOCKET_SERVER: web.AppKey[Any] = web.AppKey("hintro.realtime.server")
REALTIME_SERVICE = web.AppKey("hintro.realtime.service", RealtimeService)
PUSH_CONSUMER = web.AppKey("hintro.realtime.push_consumer", PushConsumer)

PING_TIMEOUT_SECONDS = 1.5
_log = logging.getLogger(__name__)


def _sockets_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        manager, server = app[SOCKET_MANAGER], app[SOCKET_SERVER]
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        try:
            await manager.start(server)
            await retry_startup(
                "socketio-redis",
                lambda: manager.ping(PING_TIMEOUT_SECONDS),
                settings.startup_timeout_seconds,
            )
            app[HEALTH].add("socketio", lambda: manager.ping(PING_TIMEOUT_SECONDS))
            timeout = settings.upstream_timeout_seconds
            service = RealtimeService(
                manager,
                app[TOKEN_VERIFIER],
                BoardMembership(session, settings.board_url, timeout),
                ActivityLog(session, settings.activity_url, timeout),
                replay_max_events=settings.replay_max_events,
                join_burst=settings.join_burst,
                join_interval=settings.join_interval_seconds,
            )
            register_handlers(server, service)
            app[REALTIME_SERVICE] = service
            rechecks = asyncio.create_task(
                _recheck_forever(server, service, settings.membership_recheck_seconds)
            )
            try:
                yield
            finally:
                rechecks.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await rechecks
        finally:
            await server.shutdown()  # Engine.IO's heartbeat task
            await manager.stop()
            await session.close()

    return ctx


async def _recheck_forever(server: Any, service: RealtimeService, every: float) -> None:
    """The periodic re-check of tokens and memberships (``RealtimeService.recheck``)."""

    async def disconnect(sid: str) -> None:
        with contextlib.suppress(Exception):
            await server.disconnect(sid)

    while True:
        await asyncio.sleep(every)
        try:
            await service.recheck(disconnect)
        except Exception:
            _log.exception("membership re-check failed; trying again next round")


def _push_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        cursor = RedisSeqCursor(
            app[REDIS], prefix=settings.redis_prefix, ttl_seconds=settings.seq_ttl_seconds
        )
        pusher = Pusher(app[SOCKET_MANAGER], cursor, gap_wait=settings.gap_wait_seconds)
        consumer = PushConsumer(
            app[RABBIT],
            pusher,
            queue=settings.push_queue,
            exchange=settings.events_exchange,
            prefetch=settings.push_prefetch,
        )
        await consumer.start()
        app[PUSH_CONSUMER] = consumer
        notifications = EventConsumer(
            app[RABBIT],
            queue=settings.notification_push_queue,
            routing_keys=(NOTIFICATION_CREATED,),
            handler=NotificationPusher(app[SOCKET_MANAGER]),
            exchange=settings.events_exchange,
        )
        await notifications.start()
        yield
        await notifications.stop(settings.shutdown_timeout_seconds)
        await consumer.stop()

    return ctx


async def _close_sockets(app: web.Application) -> None:
    if REALTIME_SERVICE in app:
        await disconnect_all(app[SOCKET_SERVER], app[REALTIME_SERVICE])


def create_app(settings: Settings, *, token_keys: KeySource | None = None) -> web.Application:
    """The realtime service's application; ``token_keys`` replaces auth's JWKS (tests)."""
    manager = RealtimeManager(settings.redis_url, channel=settings.socketio_channel)
    server: Any = create_server(settings, manager)
    app = create_base_app(settings, extra_middlewares=(session_bounds_middleware(server),))
    app[REALTIME_SETTINGS] = settings
    attach(server, app)
    app[SOCKET_MANAGER] = manager
    app[SOCKET_SERVER] = server
    app.cleanup_ctx.extend(
        [
            redis_ctx(settings),
            rabbit_ctx(settings),
            token_verifier_ctx(settings, token_keys),
            _sockets_ctx(settings),
            _push_ctx(settings),
        ]
    )
    app.on_shutdown.append(_close_sockets)
    add_operations(app, OPERATIONS)
    return app
