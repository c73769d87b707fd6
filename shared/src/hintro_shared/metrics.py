"""Prometheus metrics: one request counter and latency histogram per service, labelled by the
route template (not the raw path) so label cardinality stays bounded."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "hintro_http_requests_total",
    "HTTP requests handled",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hintro_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


ROUTE_LABEL = web.RequestKey("hintro.route_label", str)
"""Request key a handler outside the router sets to name what answered (the gateway's web app
files: ``web-app``), so those requests are not counted as ``unmatched``."""


def route_label(request: web.Request) -> str:
    """The matched route's template (``/api/boards/{boardId}``), what a handler outside the
    router named itself (:data:`ROUTE_LABEL`), or ``unmatched``."""
    named: str | None = request.get(ROUTE_LABEL)
    if named is not None:
        return named
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    canonical: str = resource.canonical
    return canonical


def metrics_middleware(service: str) -> Any:
    """Middleware that counts and times every request; put it outside the problem middleware so
    error responses are counted with their final status."""

    # The labelled children, looked up once per (method, route, status) rather than through
    # ``labels()`` (a lock and several dictionary look-ups) on every request.
    counters: dict[tuple[str, str, int], Any] = {}
    timers: dict[tuple[str, str], Any] = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response: web.StreamResponse = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = route_label(request)
            method = request.method
            counter = counters.get((method, route, status))
            if counter is None:
                counter = HTTP_REQUESTS.labels(service, method, route, str(status))
                counters[(method, route, status)] = counter
            counter.inc()
            timer = timers.get((method, route))
            if timer is None:
                timer = timers[(method, route)] = HTTP_LATENCY.labels(service, method, route)
            timer.observe(time.perf_counter() - started)

    return middleware


async def metrics_handler(_: web.Request) -> web.Response:
    """``GET /metrics`` in the Prometheus text format."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
