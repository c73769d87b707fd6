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
        "search index: words by board, an item's words by version, a task's words and comments",
        Index("search_terms", (("w", 1), ("b", 1)), "word_board"),
        Index("search_terms", (("i", 1), ("v", 1)), "item_version"),
        Index("search_terms", (("k", 1),), "task"),
        Index("search_items", (("taskId", 1),), "task"),
    ),
)
