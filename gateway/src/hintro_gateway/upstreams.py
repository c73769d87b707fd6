"""The services behind the gateway: one pool per service, one circuit breaker per replica.

A service usually has one URL (a load-balanced address, e.g. a Kubernetes Service). With
``<SERVICE>_URLS`` the gateway spreads requests over several replicas itself: round robin for
the stateless HTTP services, and by client-address affinity for Socket.IO, whose long-polling
session lives in one realtime replica's memory.
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Collection
from dataclasses import dataclass

from hintro_gateway.circuit import CircuitBreaker
from hintro_gateway.config import GatewaySettings
from hintro_gateway.metrics import UPSTREAM_REQUESTS
from hintro_shared.problems import Problem

_log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Upstream:
    """One replica of a service."""

    name: str
    """The service's name (the metrics label)."""
    base_url: str
    breaker: CircuitBreaker


class UpstreamPool:
    """The replicas of one service."""

    def __init__(self, name: str, replicas: list[Upstream], max_in_flight: int = 128) -> None:
        if not replicas:
            raise ValueError(f"{name} has no URL")
        self.name = name
        self.replicas = replicas
        self._turn = itertools.count()
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    def admit(self) -> None:
        """Count one more request in flight to this service; 503 with ``Retry-After`` at once
        when it has ``max_in_flight`` already (an overloaded service gets no queue in front of
        it, and its circuit is not touched: it is busy, not broken)."""
        if self.in_flight >= self.max_in_flight:
            UPSTREAM_REQUESTS.labels(self.name, "overloaded").inc()
            raise Problem(
                503,
                f"The {self.name} service is at capacity; retry in 1 second.",
                headers={"Retry-After": "1"},
            )
        self.in_flight += 1

    def release(self) -> None:
        """One request to this service ended."""
        self.in_flight -= 1

    def pick(self, affinity: str | None = None, exclude: Collection[Upstream] = ()) -> Upstream:
        """A replica whose circuit lets a request through: the next in turn, or the one
        ``affinity`` hashes to (falling over to the next ones when it is down), never one of
        ``exclude`` (replicas that just refused this request); 503 when none is left."""
        count = len(self.replicas)
        if count == 1:
            start = 0
        elif affinity is not None:
            start = zlib.crc32(affinity.encode()) % count
        else:
            start = next(self._turn) % count
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            if replica not in exclude and replica.breaker.allow():
                return replica
        raise unavailable(self)


def make_pools(settings: GatewaySettings) -> dict[str, UpstreamPool]:
    """One pool per service, from the settings' URLs."""
    pools: dict[str, UpstreamPool] = {}
    for name, urls in settings.upstream_urls.items():
        replicas = [
            Upstream(
                name,
                url,
                CircuitBreaker(
                    name if len(urls) == 1 else f"{name}-{index + 1}",
                    threshold=settings.circuit_failure_threshold,
                    reset_seconds=settings.circuit_reset_seconds,
                ),
            )
            for index, url in enumerate(urls)
        ]
        pools[name] = UpstreamPool(name, replicas, settings.upstream_max_in_flight)
    return pools


def unavailable(pool: UpstreamPool) -> Problem:
    """503 while every replica's circuit is open."""
    UPSTREAM_REQUESTS.labels(pool.name, "circuit_open").inc()
    retry = min(replica.breaker.retry_after() for replica in pool.replicas)
    return Problem(
        503,
        f"The {pool.name} service is unavailable; retry shortly.",
        headers={"Retry-After": str(max(1, retry))},
    )


def transport_problem(upstream: Upstream, exc: BaseException, *, slow: bool = False) -> Problem:
    """502 or 504 for a failed exchange with a replica, counted against its breaker, except a
    timeout of a ``slow`` route (see :attr:`hintro_gateway.routing.Route.slow`)."""
    if not (slow and isinstance(exc, TimeoutError)):
        upstream.breaker.failure()
    if isinstance(exc, TimeoutError):
        UPSTREAM_REQUESTS.labels(upstream.name, "timeout").inc()
        return Problem(504, f"The {upstream.name} service did not answer in time.")
    UPSTREAM_REQUESTS.labels(upstream.name, "error").inc()
    _log.warning("upstream %s failed: %s", upstream.breaker.name, type(exc).__name__)
    return Problem(502, f"The {upstream.name} service could not be reached or answered badly.")
