"""The base of every service's aiohttp application and the way every service runs.

``create_base_app`` wires the middlewares (request id, metrics, problem+json, the in-flight
bound and caller deadlines of :mod:`hintro_shared.overload`), the operational
routes (``/healthz``, ``/readyz``, ``/metrics``) and the body limit; ``run_service`` serves it and
drains on SIGTERM: readiness turns false first, then in-flight requests finish within a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import logging
import os
import re
import secrets
import signal
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hintro_shared import jsonutil
from hintro_shared.config import ServiceSettings
from hintro_shared.health import HEALTH, Health, healthz, readyz
from hintro_shared.logging import configure_logging, request_id_var
from hintro_shared.metrics import metrics_handler, metrics_middleware
from hintro_shared.overload import Admission, admission_middleware
from hintro_shared.problems import problem_middleware
from hintro_shared.versioning import etag, not_modified, not_modified_since

SETTINGS = web.AppKey("hintro.settings", ServiceSettings)
ADMISSION = web.AppKey("hintro.admission", Admission)
REQUEST_ID_HEADER = "X-Request-Id"
USER_ID_HEADER = "X-User-Id"
SOCKET_ID_HEADER = "X-Socket-Id"
ORIGIN_TRUSTED_HEADER = "X-Origin-Trusted"
"""Set (to ``1``) by the gateway, never taken from a client, when the request's ``Origin`` is
the gateway's own origin or one of its explicit ``CORS_ORIGINS``: auth's cookie sessions need
it."""
CLIENT_ADDRESS_HEADER = "X-Client-Address"
"""Set by the gateway, never taken from a client: the client's address key (IPv4, or the /64
of an IPv6 address; trusted proxies' X-Forwarded-For resolved), what per-address bounds count
by (realtime's sockets)."""
_VALID_SOCKET_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_log = logging.getLogger(__name__)


def origin_socket_id(request: web.Request) -> str | None:
    """The Socket.IO sid a REST call names in ``X-Socket-Id`` (its echo is suppressed); a
    malformed one is ignored, which only loses the echo suppression."""
    socket_id = request.headers.get(SOCKET_ID_HEADER, "")
    return socket_id if _VALID_SOCKET_ID.match(socket_id) else None


def json_response(
    data: Any,
    *,
    status: int = 200,
    version: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """The one way a service writes a JSON body: a pydantic schema (dumped by its aliases, the
    wire shape ``schemas.py`` declares) or plain JSON data (orjson), with the resource's
    ``ETag`` when ``version`` is given."""
    all_headers = dict(headers or {})
    if version is not None:
        all_headers["ETag"] = etag(version)
    body = (
        data.model_dump_json(by_alias=True).encode()
        if isinstance(data, BaseModel)
        else jsonutil.dumps_bytes(data)
    )
    return web.Response(
        body=body,
        status=status,
        content_type="application/json",
        headers=all_headers or None,
    )


# Level 5: within a few percent of level 9's size on JSON at a fraction of the CPU.
_STORED_GZIP_LEVEL = 5


def gzip_once(body: bytes) -> bytes:
    """``body`` compressed as a cached body is stored and then served to every client that
    accepts gzip (``mtime=0``: the same body always gives the same bytes)."""
    return gzip.compress(body, compresslevel=_STORED_GZIP_LEVEL, mtime=0)


def stored_json_response(
    request: web.Request, etag: str, gzipped: bytes, plain: Callable[[], bytes]
) -> web.Response:
    """A cached JSON body kept compressed: 304 when ``If-None-Match`` names ``etag``, else the
    stored gzip bytes for a client that accepts gzip (the gateway asks for gzip only then, and
    passes them through), else ``plain()``; always ``Vary: Accept-Encoding``."""
    vary = {"Vary": "Accept-Encoding"}
    if not_modified_since(request, etag):
        return not_modified(etag, vary)
    headers = {**vary, "ETag": etag}
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=gzipped, content_type="application/json", headers=headers)
    return web.Response(body=plain(), content_type="application/json", headers=headers)


def accepts_gzip(accept_encoding: str) -> bool:
    """True when ``Accept-Encoding`` allows gzip (explicitly or by ``*``) with a q above 0."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() not in ("gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


class _RequestIds:
    """Request ids: 32 hex digits, a random half per process and a counter, unique without a
    call to the system's random source per request (``uuid4`` was 3 % of the gateway's CPU on
    a cached read). A forked worker draws a new random half."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(secrets.randbits(32))

    def new(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFFFFFF:016x}"


_REQUEST_IDS = _RequestIds()
os.register_at_fork(after_in_child=_REQUEST_IDS.reseed)


def new_request_id() -> str:
    """A fresh request id (32 hex digits, unique per process and across processes)."""
    return _REQUEST_IDS.new()


@web.middleware
async def request_context_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Adopt the caller's request id (or make one) for logs, events and the response header."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else new_request_id()
    token = request_id_var.set(request_id)
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        request_id_var.reset(token)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def create_base_app(
    settings: ServiceSettings,
    *,
    extra_middlewares: tuple[Any, ...] = (),
    caller_deadlines: bool = True,
) -> web.Application:
    """An application with the shared middlewares and operational routes of every service
    (``caller_deadlines``: honour ``X-Timeout-Ms``; the public gateway does not)."""
    admission = Admission(
        settings.service_name,
        settings.max_in_flight,
        settings.overload_retry_after_seconds,
        caller_deadlines=caller_deadlines,
    )
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            request_context_middleware,
            metrics_middleware(settings.service_name),
            problem_middleware,
            admission_middleware(admission),
            *extra_middlewares,
        ],
    )
    app[SETTINGS] = settings
    app[ADMISSION] = admission
    app[HEALTH] = Health()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    return app


async def serve(
    app: web.Application, settings: ServiceSettings, *, reuse_port: bool = False
) -> None:
    """Serve until SIGTERM/SIGINT, then drain: not ready, stop accepting, finish in-flight.
    ``reuse_port``: several processes listen on the port (SO_REUSEPORT), see ``WORKERS``."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=settings.shutdown_timeout_seconds)
    await runner.setup()
    site = web.TCPSite(
        runner, settings.host, settings.port, backlog=1024, reuse_port=reuse_port or None
    )
    await site.start()
    _log.info("listening", extra={"host": settings.host, "port": settings.port})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        app[HEALTH].draining = True
        _log.info("draining")
        with contextlib.suppress(Exception):
            await runner.cleanup()
        _log.info("stopped")


def run_service(app: web.Application, settings: ServiceSettings) -> None:
    """Entry point used by every service's ``__main__``: serve ``app`` on the event loop the
    settings choose (``EVENT_LOOP``: uvloop by default, when installed)."""
    configure_logging(settings.service_name, settings.log_level)
    if settings.workers <= 1:
        run_loop(serve(app, settings), settings.event_loop)
        return
    run_workers(app, settings)


def run_workers(app: web.Application, settings: ServiceSettings) -> None:
    """``WORKERS`` > 1: this process and ``workers - 1`` forked copies each serve the app on
    the same port (SO_REUSEPORT: the kernel spreads connections over them), each with its own
    event loop and connections. Only for stateless services (the gateway, board, task); each
    worker has its own metrics registry. A SIGTERM to the process group drains them all; the
    parent also passes its own SIGTERM on and waits for the workers."""
    children: list[int] = []
    for _ in range(settings.workers - 1):
        pid = os.fork()
        if pid == 0:  # a worker: serve, then leave without running the parent's clean-up
            code = 0
            try:
                run_loop(serve(app, settings, reuse_port=True), settings.event_loop)
            except BaseException:
                _log.exception("worker failed")
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        children.append(pid)
    try:
        run_loop(serve(app, settings, reuse_port=True), settings.event_loop)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def run_loop(main: Coroutine[Any, Any, None], event_loop: str = "uvloop") -> None:
    """Run ``main`` to completion on a new uvloop loop (``"uvloop"``, when the package is
    installed) or the standard asyncio loop (``"asyncio"``)."""
    if event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:  # e.g. Windows, where uvloop does not exist
            _log.warning("uvloop is not installed: running on the asyncio event loop")
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(main)
            return
    asyncio.run(main)
