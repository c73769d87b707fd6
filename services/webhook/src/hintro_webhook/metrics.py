"""Prometheus metrics of the webhook service (served by the shared ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

ATTEMPTS = Counter(
    "hintro_webhook_attempts_total",
    "Delivery attempts by outcome: delivered, retry (failed, tried again later), gave_up "
    "(failed, retry window over)",
    ["outcome"],
)
ENDPOINTS_DISABLED = Counter(
    "hintro_webhook_endpoints_disabled_total",
    "Endpoints disabled after failing for WEBHOOK_DISABLE_AFTER_SECONDS",
)
