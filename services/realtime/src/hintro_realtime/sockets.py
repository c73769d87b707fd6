"""The Socket.IO surface: the ``AsyncServer`` and its handlers (the socket counterpart of
``routes.py``). Protocol (docs/api.md, "Realtime (Socket.IO)"; the service README):

- connect with ``auth: {token}``; refused with ``connect_error`` ``{message: code, data:
  {detail}}`` (``unauthorized``, ``unavailable``);
- ``board:join {boardId, sinceSeq?}`` → ack ``{ok: true, seq, resync?}`` or ``{ok: false,
  error, detail}``; ``board:leave {boardId}`` → ``{ok: true}``;
- pushes: ``event`` ``{id, type, boardId, seq, actorId, occurredAt, data}``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import engineio
import socketio
from aiohttp import web

from hintro_realtime.config import Settings
from hintro_realtime.domain import SocketBudget
from hintro_realtime.manager import RealtimeManager
from hintro_realtime.metrics import CONNECT_TIMEOUTS, ENGINE_SESSIONS, SOCKETS_REFUSED
from hintro_realtime.service import Ack, ConnectRefused, RealtimeService
from hintro_realtime.socketqueue import SocketQueue
from hintro_shared.http import CLIENT_ADDRESS_HEADER
from hintro_shared.problems import Problem

_log = logging.getLogger(__name__)

SOCKETIO_PATH = "socket.io"
JOIN_EVENT = "board:join"
LEAVE_EVENT = "board:leave"


def client_address(environ: Mapping[str, Any]) -> str:
    """Whom an Engine.IO session counts against: the gateway's ``X-Client-Address``, or the
    TCP peer when a client connects directly (tests, a sidecar)."""
    forwarded = str(environ.get("HTTP_X_CLIENT_ADDRESS", "")).strip()
    if forwarded and len(forwarded) <= 64:
        return forwarded
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or "unknown")


def own_origin(environ: Mapping[str, Any]) -> str | None:
    """The origin the browser loaded the app from, as the gateway forwarded it
    (``X-Forwarded-Proto://X-Forwarded-Host``; both set by the gateway, never a client's)."""
    host = str(environ.get("HTTP_X_FORWARDED_HOST", "")).split(",")[0].strip()
    if not host:
        return None
    proto = str(environ.get("HTTP_X_FORWARDED_PROTO", "http")).split(",")[0].strip()
    return f"{proto}://{host}"


def origin_check(allowed: tuple[str, ...]) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """Engine.IO's CORS decision: the gateway's own origin or one of ``allowed``; anything
    else is refused and never echoed back."""
    listed = frozenset(allowed)

    def check(origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return False
        origin = origin.rstrip("/")
        return origin in listed or origin == own_origin(environ)

    return check


class LightEngine(engineio.AsyncServer):  # type: ignore[misc]
    """Engine.IO's server with :class:`~hintro_realtime.socketqueue.SocketQueue` as every
    socket's outgoing queue (less memory per idle socket)."""

    def create_queue(self, *args: Any, **kwargs: Any) -> SocketQueue:
        return SocketQueue()


class BoundedServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with the session bounds of :class:`SocketBudget` and the
    connect timeout: Engine.IO sessions are counted when they open and forgotten when they
    close (python-socketio's ``_handle_eio_connect``/``_handle_eio_disconnect`` hooks), and a
    session without an authenticated Socket.IO connection ``connect_timeout`` seconds after it
    opened is closed."""

    def __init__(self, *, budget: SocketBudget, connect_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.budget = budget
        self._connect_timeout = connect_timeout
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def _engineio_server_class(self) -> type[LightEngine]:
        return LightEngine

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> Any:
        reason = self.budget.open(eio_sid, client_address(environ))
        if reason is not None:
            SOCKETS_REFUSED.labels(reason).inc()
            return False  # Engine.IO refuses the session (the pre-check answers 503/429 first)
        ENGINE_SESSIONS.set(len(self.budget))
        loop = asyncio.get_running_loop()
        self._timers[eio_sid] = loop.call_later(
            self._connect_timeout, lambda: loop.create_task(self._expire(eio_sid))
        )
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        timer = self._timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        self.budget.close(eio_sid)
        ENGINE_SESSIONS.set(len(self.budget))
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_connect(self, eio_sid: str, namespace: Any, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is not None:
            timer = self._timers.pop(eio_sid, None)
            if timer is not None:
                timer.cancel()

    async def _expire(self, eio_sid: str) -> None:
        self._timers.pop(eio_sid, None)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is not None:
            return  # connected meanwhile
        CONNECT_TIMEOUTS.inc()
        try:
            await self.eio.disconnect(eio_sid)
        except Exception as exc:  # a session already gone
            _log.debug("expired session was gone", extra={"error": repr(exc)})
        self.budget.close(eio_sid)
        ENGINE_SESSIONS.set(len(self.budget))


def create_server(settings: Settings, manager: RealtimeManager) -> Any:
    """The ``AsyncServer`` on aiohttp with the Redis-backed manager (websocket and polling)."""
    return BoundedServer(
        budget=SocketBudget(
            total=settings.max_sockets, per_address=settings.max_sockets_per_address
        ),
        connect_timeout=settings.connect_timeout_seconds,
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origin_check(settings.cors_origins),
        # The token travels in the handshake, never in a cookie: no credentials across origins.
        cors_credentials=False,
        ping_interval=settings.ping_interval_seconds,
        ping_timeout=settings.ping_timeout_seconds,
        max_http_buffer_size=64 * 1024,  # clients only send small join/leave payloads
        logger=False,
        engineio_logger=False,
    )


def session_bounds_middleware(server: BoundedServer, retry_after_seconds: int = 5) -> Any:
    """Answer a request for a *new* Engine.IO session (``/socket.io/`` without ``sid``) with
    503 (the process is full) or 429 (this address holds its share) and ``Retry-After``, before
    Engine.IO sets anything up. Requests of existing sessions pass."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(f"/{SOCKETIO_PATH}/") and "sid" not in request.query:
            environ = {
                "HTTP_X_CLIENT_ADDRESS": request.headers.get(CLIENT_ADDRESS_HEADER, ""),
                "aiohttp.request": request,
            }
            reason = server.budget.refusal(client_address(environ))
            if reason is not None:
                SOCKETS_REFUSED.labels(reason).inc()
                status, detail = (
                    (503, "This realtime replica holds all the sockets it can; retry shortly.")
                    if reason == "total"
                    else (429, "Too many sockets are open from your address.")
                )
                raise Problem(status, detail, headers={"Retry-After": str(retry_after_seconds)})
        response: web.StreamResponse = await handler(request)
        return response

    return middleware


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
