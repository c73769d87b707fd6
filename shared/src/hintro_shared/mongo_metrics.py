"""Prometheus metrics of every MongoDB client: command latency (slow queries) and the
connection pool (exhaustion), fed by PyMongo's command and pool listeners.

The alert rules in ``k8s/base/monitoring/alerts.yml`` read these names; change them together.
Labels stay bounded: ``database`` is the service's own database, ``command`` a driver command
name (find, insert, update, findAndModify, ...), ``address`` one pool per server.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from pymongo import monitoring

MONGO_COMMAND_DURATION = Histogram(
    "hintro_mongo_command_duration_seconds",
    "MongoDB commands sent by this process, from send to reply (failed ones included)",
    ["database", "command"],
    # 0.1 is a bucket edge: the origin document's "query time > 100 ms" threshold.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MONGO_COMMAND_FAILURES = Counter(
    "hintro_mongo_command_failures_total",
    "MongoDB commands that failed (server error or network error)",
    ["database", "command"],
)
MONGO_POOL_CHECKED_OUT = Gauge(
    "hintro_mongo_pool_checked_out_connections",
    "Connections of the pool to one server that are in use right now",
    ["address"],
)
MONGO_POOL_OPEN = Gauge(
    "hintro_mongo_pool_open_connections",
    "Connections of the pool to one server that are open (idle or in use)",
    ["address"],
)
MONGO_POOL_MAX = Gauge(
    "hintro_mongo_pool_max_connections",
    "maxPoolSize of this process's MongoDB client (per server)",
)
MONGO_POOL_CHECKOUT_WAIT = Histogram(
    "hintro_mongo_pool_checkout_wait_seconds",
    "Time a request waited for a pooled connection (long waits mean the pool is exhausted)",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
MONGO_POOL_CHECKOUT_FAILURES = Counter(
    "hintro_mongo_pool_checkout_failures_total",
    "Connection check-outs that failed (timeout = pool exhausted, connectionError, poolClosed)",
    ["reason"],
)


def _address(address: tuple[str, int | None]) -> str:
    host, port = address
    return host if port is None else f"{host}:{port}"


class CommandMetrics(monitoring.CommandListener):
    """Times every command; heartbeats are not commands, so they are not counted."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Nothing to do: the succeeded/failed events carry the duration."""

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Observe the command's latency."""
        MONGO_COMMAND_DURATION.labels(event.database_name, event.command_name).observe(
            event.duration_micros / 1_000_000
        )

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Observe the latency and count the failure."""
        MONGO_COMMAND_DURATION.labels(event.database_name, event.command_name).observe(
            event.duration_micros / 1_000_000
        )
        MONGO_COMMAND_FAILURES.labels(event.database_name, event.command_name).inc()


class PoolMetrics(monitoring.ConnectionPoolListener):
    """Connections in use and open per server, check-out waits and failures."""

    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None:
        """Start the server's gauges at zero so they exist before the first request."""
        address = _address(event.address)
        MONGO_POOL_CHECKED_OUT.labels(address).set(0)
        MONGO_POOL_OPEN.labels(address).set(0)

    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None:
        """Nothing to count."""

    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None:
        """Nothing to count: the cleared connections report their own close/check-in."""

    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None:
        """Nothing to count: closed connections report themselves."""

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        """One more open connection."""
        MONGO_POOL_OPEN.labels(_address(event.address)).inc()

    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None:
        """Nothing to count."""

    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None:
        """One open connection fewer."""
        MONGO_POOL_OPEN.labels(_address(event.address)).dec()

    def connection_check_out_started(
        self, event: monitoring.ConnectionCheckOutStartedEvent
    ) -> None:
        """Nothing to count: the wait is measured when the check-out ends."""

    def connection_check_out_failed(self, event: monitoring.ConnectionCheckOutFailedEvent) -> None:
        """A request got no connection (``timeout`` means every connection was busy)."""
        MONGO_POOL_CHECKOUT_FAILURES.labels(event.reason).inc()
        if event.duration is not None:
            MONGO_POOL_CHECKOUT_WAIT.observe(event.duration)

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        """A connection is in use; record how long the request waited for it."""
        MONGO_POOL_CHECKED_OUT.labels(_address(event.address)).inc()
        if event.duration is not None:
            MONGO_POOL_CHECKOUT_WAIT.observe(event.duration)

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        """A connection went back to the pool."""
        MONGO_POOL_CHECKED_OUT.labels(_address(event.address)).dec()


def mongo_listeners(max_pool_size: int) -> list[CommandMetrics | PoolMetrics]:
    """The listeners to give a client; records its ``maxPoolSize`` for the exhaustion ratio."""
    MONGO_POOL_MAX.set(max_pool_size)
    return [CommandMetrics(), PoolMetrics()]
