"""Prometheus counters of the event layer (exposed by every service's ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_PUBLISHED = Counter(
    "hintro_events_published_total",
    "Events the broker confirmed",
    ["exchange", "type"],
)
EVENTS_PUBLISH_FAILURES = Counter(
    "hintro_events_publish_failures_total",
    "Publish attempts that failed (nack, return, timeout, connection loss) and will be retried",
    ["exchange", "type", "reason"],
)
EVENTS_UNROUTED = Counter(
    "hintro_events_unrouted_total",
    "Events this process published that no queue was bound for (kept in <exchange>.unrouted)",
    ["exchange", "type"],
)
EVENTS_CONSUMED = Counter(
    "hintro_events_consumed_total",
    "Events a consumer handled successfully (acked after its handler returned)",
    ["queue", "type"],
)
EVENTS_RETRIED = Counter(
    "hintro_events_retried_total",
    "Events whose handler failed and that were scheduled for another attempt",
    ["queue", "type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "hintro_events_dead_lettered_total",
    "Events sent to the dead-letter queue (attempts exhausted or message invalid)",
    ["queue", "type", "reason"],
)
OUTBOX_RELAYED = Counter(
    "hintro_outbox_relayed_total",
    "Outbox entries published and removed, by path (flush = right after the write, sweep = "
    "found later by the background sweeper)",
    ["collection", "path"],
)
DLQ_DEPTH = Gauge(
    "hintro_events_dlq_depth",
    "Messages in a consumer's dead-letter queue (waiting for an automatic replay)",
    ["queue"],
)
PARKED_DEPTH = Gauge(
    "hintro_events_parked_depth",
    "Messages parked after their automatic replays (a person has to act)",
    ["queue"],
)
DLQ_REPLAYED = Counter(
    "hintro_events_dlq_replayed_total",
    "Dead letters moved back to their queue automatically",
    ["queue"],
)
DLQ_PARKED = Counter(
    "hintro_events_dlq_parked_total",
    "Dead letters parked (invalid, or still failing after their automatic replays)",
    ["queue", "reason"],
)
