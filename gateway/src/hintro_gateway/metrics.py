"""The gateway's own Prometheus metrics, next to the shared per-route request metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPSTREAM_REQUESTS = Counter(
    "hintro_gateway_upstream_requests_total",
    "Requests proxied to a service, by outcome (HTTP status, or timeout/error/circuit_open)",
    ["upstream", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "hintro_gateway_upstream_duration_seconds",
    "Time until a service's response headers arrived",
    ["upstream"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CIRCUIT_OPEN = Gauge(
    "hintro_gateway_circuit_open", "1 while a service's circuit breaker is open", ["upstream"]
)
RATE_LIMITED = Counter(
    "hintro_gateway_ratelimit_rejections_total", "Requests refused with 429", ["policy"]
)
RATE_LIMIT_LOCAL = Gauge(
    "hintro_gateway_ratelimit_local_mode",
    "1 while Redis is unreachable and the in-process limiter is used",
)
WEBSOCKETS_OPEN = Gauge("hintro_gateway_websockets_open", "Bridged websocket connections")
