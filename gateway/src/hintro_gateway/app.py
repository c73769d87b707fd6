"""The gateway's composition root: middlewares, routes from the routing table, and the
resources (Redis, token verifier, upstream connection pool) opened in a fixed order."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from hintro_gateway.apidoc import ASYNCAPI_PATH, OPENAPI_PATH, handle_asyncapi, handle_openapi
from hintro_gateway.config import GatewaySettings
from hintro_gateway.cors import Cors
from hintro_gateway.gateway import (
    GATEWAY,
    RATE_DECISION,
    Gateway,
    handle_socketio,
    rate_limit_headers,
    route_handler,
)
from hintro_gateway.proxy import Proxy, make_session, make_websocket_session
from hintro_gateway.ratelimit import RateLimiter
from hintro_gateway.routing import ROUTES, SOCKETIO_PATH
from hintro_gateway.static import WebApp, web_app_middleware
from hintro_gateway.upstreams import make_pools
from hintro_gateway.websocket import OPEN_WEBSOCKETS, close_websockets
from hintro_shared.health import HEALTH
from hintro_shared.http import REQUEST_ID_HEADER, create_base_app
from hintro_shared.logging import request_id_var
from hintro_shared.openapi import refuse_unknown_query
from hintro_shared.redis_conn import REDIS, redis_ctx
from hintro_shared.tokens import token_verifier_ctx


def _gateway_ctx(
    settings: GatewaySettings,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        session = make_session(settings)
        limiter = RateLimiter(
            app[REDIS],
            prefix=settings.rate_limit_prefix,
            retry_seconds=settings.rate_limit_redis_retry_seconds,
            local_max_keys=settings.rate_limit_local_max_keys,
            batch=settings.rate_limit_batch,
            lease_max=settings.rate_limit_lease_max,
            lease_seconds=settings.rate_limit_lease_seconds,
        )
        app[HEALTH].add("ratelimit", limiter.readiness, required=False)
        websocket_session = make_websocket_session(settings)
        proxy = Proxy(session, make_pools(settings), settings, websocket_session)
        app[GATEWAY] = Gateway(settings, proxy, limiter)
        yield
        await limiter.close()
        await session.close()
        await websocket_session.close()

    return ctx


async def _openapi(request: web.Request) -> web.StreamResponse:
    await request.app[GATEWAY].anonymous(request)
    return await handle_openapi(request)


async def _asyncapi(request: web.Request) -> web.StreamResponse:
    await request.app[GATEWAY].anonymous(request)
    return await handle_asyncapi(request)


def create_app(settings: GatewaySettings | None = None) -> web.Application:
    """The gateway application."""
    settings = settings or GatewaySettings()
    cors = Cors(
        settings.cors_origins,
        credentials=settings.cors_allow_credentials,
        max_age=settings.cors_max_age_seconds,
    )
    middlewares: tuple[Any, ...] = (cors.preflight_middleware,)
    web_dist = settings.web_dist
    if web_dist is not None:
        middlewares += (web_app_middleware(WebApp(web_dist)),)
    app = create_base_app(settings, extra_middlewares=middlewares, caller_deadlines=False)
    app[OPEN_WEBSOCKETS] = weakref.WeakSet()

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        # Streamed and websocket responses are sent before the middlewares see them, so the
        # headers every answer carries are added here, at the moment the status line goes out.
        request_id = request_id_var.get()
        if request_id and REQUEST_ID_HEADER not in response.headers:
            response.headers[REQUEST_ID_HEADER] = request_id
        # Every answer, JSON and problems included: never sniffed into something executable,
        # never framed (the web app's own files carry their fuller set, static.py).
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        decision = request.get(RATE_DECISION)
        if decision is not None:
            response.headers.update(rate_limit_headers(decision))
        cors.decorate(request, response)

    app.on_response_prepare.append(on_prepare)
    # Redis is optional: without it the limiter runs in process and readiness says "degraded".
    app.cleanup_ctx.append(redis_ctx(settings, required=False))
    app.cleanup_ctx.append(token_verifier_ctx(settings))
    app.cleanup_ctx.append(_gateway_ctx(settings))
    app.on_shutdown.append(close_websockets)

    for route in ROUTES:
        app.router.add_route(route.method, route.pattern, route_handler(route))
    # The documents take no query parameters: any is 422, as on every other route.
    app.router.add_get(OPENAPI_PATH, refuse_unknown_query(_openapi, frozenset()))
    app.router.add_get(ASYNCAPI_PATH, refuse_unknown_query(_asyncapi, frozenset()))
    # Engine.IO uses GET (polling, websocket upgrade) and POST (polling sends).
    app.router.add_route("*", SOCKETIO_PATH, handle_socketio)
    return app
