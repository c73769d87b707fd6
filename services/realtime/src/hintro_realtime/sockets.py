"""The Socket.IO surface: the ``AsyncServer`` and its handlers (the socket counterpart of
``routes.py``). Protocol (docs/api.md, "Realtime (Socket.IO)"; the service README):

- connect with ``auth: {token}``; refused with ``connect_error`` ``{message: code, data:
  {detail}}`` (``unauthorized``, ``unavailable``);
- ``board:join {boardId, sinceSeq?}`` → ack ``{ok: true, seq, resync?}`` or ``{ok: false,
  error, detail}``; ``board:leave {boardId}`` → ``{ok: true}``;
- pushes: ``event`` ``{id, type, boardId, seq, actorId, occurredAt, data}``.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from hintro_realtime.config import Settings
from hintro_realtime.manager import RealtimeManager
from hintro_realtime.service import Ack, ConnectRefused, RealtimeService

_log = logging.getLogger(__name__)

SOCKETIO_PATH = "socket.io"
JOIN_EVENT = "board:join"
LEAVE_EVENT = "board:leave"


def create_server(settings: Settings, manager: RealtimeManager) -> Any:
    """The ``AsyncServer`` on aiohttp with the Redis-backed manager (websocket and polling)."""
    origins: str | list[str] = "*" if "*" in settings.cors_origins else list(settings.cors_origins)
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origins,
        ping_interval=settings.ping_interval_seconds,
        ping_timeout=settings.ping_timeout_seconds,
        max_http_buffer_size=64 * 1024,  # clients only send small join/leave payloads
        logger=False,
        engineio_logger=False,
    )


def attach(server: Any, app: web.Application) -> None:
    """Serve Engine.IO at ``/socket.io/`` on the service's aiohttp app."""
    server.attach(app, socketio_path=SOCKETIO_PATH)


def register_handlers(server: Any, service: RealtimeService) -> None:
    """Route the socket events to the use cases."""

    async def on_connect(sid: str, environ: Any, auth: Any = None) -> None:
        try:
            await service.connect(sid, auth)
        except ConnectRefused as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.code, {"detail": exc.detail}
            ) from None

    async def on_disconnect(sid: str, reason: Any = None) -> None:
        await service.disconnect(sid)

    async def on_join(sid: str, data: Any = None) -> Ack:
        return await service.join(sid, data)

    async def on_leave(sid: str, data: Any = None) -> Ack:
        return await service.leave(sid, data)

    server.on("connect", on_connect)
    server.on("disconnect", on_disconnect)
    server.on(JOIN_EVENT, on_join)
    server.on(LEAVE_EVENT, on_leave)


async def disconnect_all(server: Any, service: RealtimeService) -> None:
    """Close this replica's sockets (shutdown): clients reconnect to another replica at once
    instead of after the drain timeout."""
    for sid in list(service.connections):
        try:
            await server.disconnect(sid, ignore_queue=True)
        except Exception as exc:  # one stuck socket must not keep the others open
            _log.warning("could not disconnect a socket", extra={"error": repr(exc)})
