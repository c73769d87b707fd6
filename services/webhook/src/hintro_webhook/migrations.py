"""The webhook database's migrations (``python -m hintro_webhook.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: endpoints, deliveries, board view",
        # A board's endpoints; the outbox of the endpoint-disabled notices.
        Index("endpoints", (("boardId", 1), ("createdAt", 1)), "board"),
        Index("endpoints", (("outboxPending", 1),), "outbox_pending"),
        Index("endpoints", (("deleted", 1),), "outbox_tombstone", sparse=True),
        # What is due; an endpoint's earliest pending delivery; an endpoint's log.
        Index("deliveries", (("status", 1), ("nextAttemptAt", 1)), "due"),
        Index("deliveries", (("endpointId", 1), ("status", 1), ("order", 1)), "endpoint_pending"),
        Index("deliveries", (("endpointId", 1), ("createdAt", -1)), "endpoint_log"),
        # The projection of the board service's boards and lists (hintro_shared.boardview).
        Index("board_lists", (("boardId", 1), ("position", 1)), "board_position"),
    ),
)
