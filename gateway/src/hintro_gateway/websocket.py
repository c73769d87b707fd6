"""The Socket.IO endpoint: long-polling is plain proxying, a websocket upgrade is bridged.

The gateway opens its own websocket to the realtime service (same path and query string, so
Engine.IO's ``EIO``, ``transport`` and ``sid`` arrive intact) before accepting the client's, so
an unreachable service is still a clean 502/503 answer; then it copies frames both ways until
either side closes and closes the other with the same code. The Socket.IO token travels inside
the handshake and realtime checks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

import aiohttp
from aiohttp import web
from yarl import URL

from hintro_gateway.metrics import UPSTREAM_REQUESTS, WEBSOCKETS_OPEN
from hintro_gateway.proxy import Proxy, origin_target
from hintro_gateway.routing import SOCKETIO_SERVICE
from hintro_gateway.upstreams import transport_problem
from hintro_shared.problems import Problem

_log = logging.getLogger(__name__)
# Close codes that may not be sent in a close frame (RFC 6455 §7.4.1).
_RESERVED_CLOSE_CODES = frozenset({1004, 1005, 1006, 1015})
_GOING_AWAY = 1001

OPEN_WEBSOCKETS = web.AppKey("hintro.gateway.websockets", weakref.WeakSet[web.WebSocketResponse])


def is_websocket_upgrade(request: web.Request) -> bool:
    """A GET asking to upgrade to websocket."""
    connection = request.headers.get("Connection", "").lower()
    return (
        request.method == "GET"
        and request.headers.get("Upgrade", "").lower() == "websocket"
        and "upgrade" in connection
    )


def _sendable(code: int | None) -> int:
    if code is None or code in _RESERVED_CLOSE_CODES or not 1000 <= code < 5000:
        return _GOING_AWAY
    return code


async def _pump(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    target: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    # Iteration ends on a close frame or a broken connection; pings are answered by aiohttp.
    async for message in source:
        try:
            if message.type is aiohttp.WSMsgType.TEXT:
                await target.send_str(message.data)
            elif message.type is aiohttp.WSMsgType.BINARY:
                await target.send_bytes(message.data)
            elif message.type is aiohttp.WSMsgType.ERROR:
                return
        except ConnectionError:
            return


async def bridge_websocket(
    request: web.Request, proxy: Proxy, *, max_message_bytes: int, affinity: str | None = None
) -> web.StreamResponse:
    """Bridge the client's websocket to the realtime service's."""
    target = origin_target(request)
    upstream = proxy.pools[SOCKETIO_SERVICE].pick(affinity)
    headers = proxy.forward_headers(request, user_id=None, content_length=None, websocket=True)
    protocols = tuple(
        p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
    )
    url = URL(upstream.base_url + target, encoded=True)
    try:
        server_ws = await proxy.websocket_session.ws_connect(
            url,
            headers=headers,
            protocols=protocols,
            autoping=True,
            max_msg_size=max_message_bytes,
        )
    except aiohttp.WSServerHandshakeError as exc:
        # The service answered but refused the upgrade (e.g. an unknown Engine.IO sid).
        upstream.breaker.success()
        UPSTREAM_REQUESTS.labels(upstream.name, str(exc.status)).inc()
        status = exc.status if 400 <= exc.status < 500 else 502
        raise Problem(status, "The realtime service refused the websocket upgrade.") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise transport_problem(upstream, exc) from None
    upstream.breaker.success()
    UPSTREAM_REQUESTS.labels(upstream.name, "101").inc()

    client_ws = web.WebSocketResponse(
        protocols=(server_ws.protocol,) if server_ws.protocol else (),
        autoping=True,
        max_msg_size=max_message_bytes,
    )
    try:
        await client_ws.prepare(request)
    except BaseException:
        await server_ws.close()
        raise
    open_sockets = request.app[OPEN_WEBSOCKETS]
    open_sockets.add(client_ws)
    WEBSOCKETS_OPEN.inc()
    try:
        to_server = asyncio.create_task(_pump(client_ws, server_ws))
        to_client = asyncio.create_task(_pump(server_ws, client_ws))
        _, pending = await asyncio.wait({to_server, to_client}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        WEBSOCKETS_OPEN.dec()
        open_sockets.discard(client_ws)
        with contextlib.suppress(Exception):
            await server_ws.close(code=_sendable(client_ws.close_code))
        with contextlib.suppress(Exception):
            await client_ws.close(code=_sendable(server_ws.close_code))
    return client_ws


async def close_websockets(app: web.Application) -> None:
    """``on_shutdown``: tell every bridged client the gateway is going away."""
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[OPEN_WEBSOCKETS]
    for ws in list(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=_GOING_AWAY, message=b"gateway shutting down")
