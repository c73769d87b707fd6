"""Prometheus metrics of the realtime service (served by the shared ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CONNECTED_SOCKETS = Gauge(
    "hintro_realtime_connected_sockets", "Sockets connected to this replica (authenticated)"
)
PUSHES = Counter(
    "hintro_realtime_pushes_total",
    "Board events fanned out to their board's room by the active pusher",
    ["type"],
)
DELIVERIES = Counter(
    "hintro_realtime_deliveries_total",
    "Pushes this replica sent to its own sockets (live and flushed after a replay)",
)
JOINS = Counter(
    "hintro_realtime_joins_total",
    "board:join answers by outcome (ok, resync, or the refusal code)",
    ["result"],
)
REPLAYED = Counter(
    "hintro_realtime_replayed_events_total", "Missed events replayed to rejoining sockets"
)
DUPLICATES = Counter(
    "hintro_realtime_duplicates_dropped_total",
    "activity.recorded events dropped by the pusher because their seq was already pushed",
)
GAPS_SKIPPED = Counter(
    "hintro_realtime_gaps_skipped_total",
    "Times the pusher gave up waiting for a missing seq and pushed the later events",
)
HELD_EVENTS = Gauge(
    "hintro_realtime_held_events", "Events the pusher holds, waiting for an earlier seq"
)
ENGINE_SESSIONS = Gauge(
    "hintro_realtime_engine_sessions", "Engine.IO sessions open in this replica (any state)"
)
SOCKETS_REFUSED = Counter(
    "hintro_realtime_sockets_refused_total",
    "New Engine.IO sessions refused by the socket bounds (total, address)",
    ["reason"],
)
CONNECT_TIMEOUTS = Counter(
    "hintro_realtime_connect_timeouts_total",
    "Engine.IO sessions closed for carrying no authenticated connection in time",
)
RECHECK_DISCONNECTS = Counter(
    "hintro_realtime_recheck_disconnects_total",
    "Sockets disconnected by the periodic re-check (expired token, lost membership)",
    ["reason"],
)
