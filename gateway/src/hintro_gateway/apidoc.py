"""The gateway's own public routes and the OpenAPI document it serves.

The document is generated ahead of time by the dev tools (``make openapi``) from every
service's ``OPERATIONS`` and committed as ``openapi.json`` in this package: the gateway serves
that file and never imports the services' code.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hintro_gateway.headers import accepts_gzip
from hintro_shared.health import healthz, readyz
from hintro_shared.metrics import metrics_handler
from hintro_shared.openapi import Operation

OPENAPI_PATH = "/api/openapi.json"
OPENAPI_FILE = "openapi.json"


class HealthStatus(BaseModel):
    """``GET /healthz``: the process is alive."""

    status: str


class ReadinessStatus(BaseModel):
    """``GET /readyz``: every required dependency answers (``degraded`` ones are optional)."""

    status: str
    checks: dict[str, str]


@cache
def _document() -> tuple[bytes, bytes]:
    raw = resources.files("hintro_gateway").joinpath(OPENAPI_FILE).read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


async def handle_openapi(request: web.Request) -> web.Response:
    """``GET /api/openapi.json``: the OpenAPI 3.1 document of every public route."""
    raw, compressed = _document()
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "public, max-age=300"}
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=compressed, content_type="application/json", headers=headers)
    return web.Response(body=raw, content_type="application/json", headers=headers)


GATEWAY_OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        OPENAPI_PATH,
        handle_openapi,
        "This OpenAPI document",
        "gateway",
        response=dict[str, Any],
        public=True,
        errors=(429,),
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
