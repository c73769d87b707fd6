"""The activity database's migrations (``python -m hintro_activity.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: the log's order, outbox, claim healer, names, board projection",
        # The log's order and its no-duplicates guarantee (one entry per seq of a board).
        Index("entries", (("boardId", 1), ("seq", 1)), "board_seq", unique=True),
        Index("entries", (("outboxPending", 1),), "outbox_pending"),
        Index("entries", (("deleted", 1),), "outbox_tombstone", sparse=True),
        Index("counters", (("claimsPending", 1),), "claims_pending"),
        # A deleted board's names go with it (delete by boardId).
        Index("list_titles", (("boardId", 1),), "board"),
        Index("task_titles", (("boardId", 1),), "board"),
        # The projection of the board service's boards and lists (hintro_shared.boardview).
        Index("lists", (("boardId", 1), ("position", 1)), "board_position"),
    ),
)
