"""Overload protection every process shares: answer fast when full, and stop work whose caller
has given up.

- **A bound on requests in flight** (``MAX_IN_FLIGHT`` per process). Past it a request is
  answered ``503`` with ``Retry-After`` at once, before any work, instead of joining a queue
  whose waiting time grows with the load until every caller times out. The operational routes
  (``/healthz``, ``/readyz``, ``/metrics``) are never counted nor refused, so probes and scrapes
  answer while the process is saturated; Socket.IO (long-lived by nature) has bounds of its own
  in the realtime service.
- **A deadline carried from the caller** (``X-Timeout-Ms``: the milliseconds the caller still
  waits, set by the gateway from its ``UPSTREAM_TIMEOUT``). A request that arrives with no time
  left is ``504`` without being started. A read (``GET``/``HEAD``) still running when its
  deadline passes is cancelled and answered ``504``: nobody is waiting for it. A write is never
  cancelled halfway (its effects are written in one atomic update with their events, but a use
  case may make more than one), so once started it runs to its end.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from prometheus_client import Counter, Gauge

from hintro_shared.problems import Problem

TIMEOUT_HEADER = "X-Timeout-Ms"
"""How long (milliseconds) the caller still waits for the answer; set by the gateway, never
taken from a client."""
OPERATIONAL_PATHS = ("/healthz", "/readyz", "/metrics")
EXEMPT_PREFIXES = ("/socket.io/",)
_READS = frozenset({"GET", "HEAD"})
_MAX_TIMEOUT_MS = 10 * 60 * 1000

IN_FLIGHT = Gauge(
    "hintro_http_in_flight", "Requests being handled (operational routes excluded)", ["service"]
)
SHED = Counter(
    "hintro_http_shed_total",
    "Requests refused or stopped by overload protection",
    ["service", "reason"],
)


def caller_timeout_ms(request: web.Request) -> int | None:
    """The caller's remaining wait from ``X-Timeout-Ms`` (clamped to 0..10 min); ``None`` when
    absent or not a whole number."""
    raw = request.headers.get(TIMEOUT_HEADER, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    return min(int(raw), _MAX_TIMEOUT_MS)


class Admission:
    """The in-flight count of one process and its bound."""

    def __init__(
        self,
        service: str,
        limit: int,
        retry_after_seconds: int,
        *,
        caller_deadlines: bool = True,
    ) -> None:
        self.service = service
        self.limit = limit
        # The gateway takes no deadline from its clients; it sets one for the services.
        self.caller_deadlines = caller_deadlines
        self.retry_after = str(max(1, retry_after_seconds))
        self.in_flight = 0
        self._gauge = IN_FLIGHT.labels(service)

    def is_exempt(self, path: str) -> bool:
        """Operational routes and long-lived Socket.IO requests are not counted."""
        return path in OPERATIONAL_PATHS or path.startswith(EXEMPT_PREFIXES)

    def refuse(self, reason: str) -> Problem:
        SHED.labels(self.service, reason).inc()
        return Problem(
            503,
            f"The {self.service} service is at capacity; retry in {self.retry_after} seconds.",
            headers={"Retry-After": self.retry_after},
        )

    async def handle(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Admit ``request`` (or refuse it with 503) and run it within its caller's deadline."""
        if self.is_exempt(request.path):
            response: web.StreamResponse = await handler(request)
            return response
        if self.in_flight >= self.limit:
            raise self.refuse("in_flight")
        timeout_ms = caller_timeout_ms(request) if self.caller_deadlines else None
        if timeout_ms == 0:
            SHED.labels(self.service, "deadline").inc()
            raise Problem(504, "The caller's deadline had passed before the request started.")
        self.in_flight += 1
        self._gauge.inc()
        try:
            if timeout_ms is None or request.method not in _READS:
                response = await handler(request)
                return response
            return await self._read_within(request, handler, timeout_ms / 1000)
        finally:
            self.in_flight -= 1
            self._gauge.dec()

    async def _read_within(
        self, request: web.Request, handler: Any, seconds: float
    ) -> web.StreamResponse:
        started = time.monotonic()
        scope = asyncio.timeout(seconds)
        try:
            async with scope:
                response: web.StreamResponse = await handler(request)
                return response
        except TimeoutError:
            if not scope.expired():
                raise  # a timeout of the handler's own (a dependency): not the deadline
            SHED.labels(self.service, "deadline").inc()
            waited = time.monotonic() - started
            raise Problem(
                504, f"The request ran past its caller's deadline ({waited:.1f} s); stopped."
            ) from None


def admission_middleware(admission: Admission) -> Any:
    """The middleware of :class:`Admission`; goes inside the problem middleware, so its refusals
    are problem+json and counted by the metrics middleware with their status."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        return await admission.handle(request, handler)

    return middleware
