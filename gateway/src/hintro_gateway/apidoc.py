"""The gateway's own public routes and the API documents it serves.

The documents are generated ahead of time by the dev tools (``make openapi``) and committed in
this package: the gateway serves those files and never imports the services' code.
``openapi.json`` comes from every service's ``OPERATIONS``, ``asyncapi.json`` (the Socket.IO
protocol) from the realtime service's schemas.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hintro_shared.health import healthz, readyz
from hintro_shared.http import accepts_gzip
from hintro_shared.metrics import metrics_handler
from hintro_shared.openapi import Operation

OPENAPI_PATH = "/api/openapi.json"
OPENAPI_FILE = "openapi.json"
ASYNCAPI_PATH = "/api/asyncapi.json"
ASYNCAPI_FILE = "asyncapi.json"


class HealthStatus(BaseModel):
    """``GET /healthz``: the process is alive."""

    status: str


class ReadinessStatus(BaseModel):
    """``GET /readyz``: every required dependency answers (``degraded`` ones are optional)."""

    status: str
    checks: dict[str, str]


@cache
def _document(name: str) -> tuple[bytes, bytes]:
    raw = resources.files("hintro_gateway").joinpath(name).read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


def _serve(request: web.Request, name: str) -> web.Response:
    raw, compressed = _document(name)
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "public, max-age=300"}
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=compressed, content_type="application/json", headers=headers)
    return web.Response(body=raw, content_type="application/json", headers=headers)


async def handle_openapi(request: web.Request) -> web.Response:
    """``GET /api/openapi.json``: the OpenAPI 3.1 document of every public route."""
    return _serve(request, OPENAPI_FILE)


async def handle_asyncapi(request: web.Request) -> web.Response:
    """``GET /api/asyncapi.json``: the AsyncAPI 3.0 document of the Socket.IO protocol."""
    return _serve(request, ASYNCAPI_FILE)


GATEWAY_OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        OPENAPI_PATH,
        handle_openapi,
        "This OpenAPI document",
        "gateway",
        response=dict[str, Any],
        public=True,
        errors=(422, 429),
    ),
    Operation(
        "GET",
        ASYNCAPI_PATH,
        handle_asyncapi,
        "The AsyncAPI 3.0 document of the Socket.IO protocol (/socket.io/)",
        "gateway",
        response=dict[str, Any],
        public=True,
        errors=(422, 429),
    ),
    Operation(
        "GET",
        "/healthz",
        healthz,
        "Liveness of the gateway",
        "gateway",
        response=HealthStatus,
        public=True,
    ),
    Operation(
        "GET",
        "/readyz",
        readyz,
        "Readiness of the gateway",
        "gateway",
        response=ReadinessStatus,
        public=True,
        errors=(503,),
    ),
    Operation(
        "GET",
        "/metrics",
        metrics_handler,
        "Prometheus metrics (text format)",
        "gateway",
        public=True,
    ),
]
