"""The task database's migrations (``python -m hintro_task.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: unique place in a list, board listing, outbox, board projection",
        Index("tasks", (("listId", 1), ("position", 1)), "list_position", unique=True),
        Index("tasks", (("boardId", 1), ("listId", 1), ("position", 1)), "board_list_position"),
        Index("tasks", (("boardId", 1),), "board"),
        Index("tasks", (("outboxPending", 1),), "outbox_pending"),
        Index("tasks", (("deleted", 1),), "outbox_tombstone", sparse=True),
        # The projection of the board service's boards and lists (hintro_shared.boardview).
        Index("lists", (("boardId", 1), ("position", 1)), "board_position"),
    ),
    index_migration(
        2,
        "comments: a task's comments newest first, by board, the healer's scan, outbox",
        Index("comments", (("taskId", 1), ("createdAt", -1)), "task_created"),
        Index("comments", (("boardId", 1),), "board"),
        Index("comments", (("pendingSince", 1),), "pending_since", sparse=True),
        Index("comments", (("outboxPending", 1),), "outbox_pending"),
        Index("comments", (("deleted", 1),), "outbox_tombstone", sparse=True),
    ),
)
