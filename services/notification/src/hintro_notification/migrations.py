"""The notification database's migrations (``python -m hintro_notification.migrate
up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: notifications, watches, preferences, projections, board view",
        # A user's pages newest first, the unread count, the mailer's queue, the outbox.
        Index("notifications", (("userId", 1), ("createdAt", -1)), "user_page"),
        Index("notifications", (("userId", 1), ("readAt", 1)), "user_unread"),
        Index("notifications", (("email", 1), ("createdAt", 1)), "email_owed"),
        Index("notifications", (("outboxPending", 1),), "outbox_pending"),
        Index("notifications", (("deleted", 1),), "outbox_tombstone", sparse=True),
        # Who watches a task or board; a removed member's watches on a board.
        Index("watches", (("target", 1), ("targetId", 1)), "target"),
        Index("watches", (("userId", 1), ("boardId", 1)), "user_board"),
        Index("preferences", (("email", 1),), "email"),
        # Projections: a deleted board's titles and tasks; the due-soon poll.
        Index("titles", (("boardId", 1),), "board"),
        Index("tasks", (("boardId", 1),), "board"),
        Index("tasks", (("remind", 1), ("dueAt", 1)), "remind"),
        # The projection of the board service's boards and lists (hintro_shared.boardview).
        Index("board_lists", (("boardId", 1), ("position", 1)), "board_position"),
    ),
)
