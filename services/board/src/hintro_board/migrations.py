"""The board database's migrations (``python -m hintro_board.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: boards by owner and member, ordered lists, users by e-mail, outboxes",
        Index("boards", (("ownerId", 1),), "owner"),
        # Not a single-field index on the memberIds array: nx-27017 then finds nothing.
        Index("boards", (("memberIds", 1), ("createdAt", -1)), "member_boards"),
        Index("boards", (("outboxPending", 1),), "outbox_pending"),
        Index("boards", (("deleted", 1),), "outbox_tombstone", sparse=True),
        Index("lists", (("boardId", 1), ("position", 1)), "board_position", unique=True),
        Index("lists", (("outboxPending", 1),), "outbox_pending"),
        Index("lists", (("deleted", 1),), "outbox_tombstone", sparse=True),
        Index("users", (("email", 1),), "email", unique=True),
    ),
)
