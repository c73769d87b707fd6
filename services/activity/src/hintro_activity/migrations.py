"""The activity database's migrations (``python -m hintro_activity.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_activity.repository import PLACE, entry_place
from hintro_shared.migrations import Database, Index, Migration, index_migration, walk

_PLACE_INDEX = Index("entries", ((PLACE, 1),), "place", sparse=True)


async def _place_up(db: Database) -> None:
    """Entries get their place in the log as one string (see
    :data:`hintro_activity.repository.PLACE`) and its index; idempotent, and the key derives from
    the entry alone, so an entry written meanwhile gets the same one."""
    await _PLACE_INDEX.create(db)
    entries = db["entries"]
    async for doc in walk(entries, {PLACE: {"$exists": False}}, {"boardId": 1, "seq": 1}):
        await entries.update_one(
            {"_id": doc["_id"]}, {"$set": {PLACE: entry_place(doc["boardId"], int(doc["seq"]))}}
        )


async def _place_down(db: Database) -> None:
    await _PLACE_INDEX.drop(db)
    await db["entries"].update_many({}, {"$unset": {PLACE: ""}})


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
    Migration(2, "entries: their place in the log as one indexed string", _place_up, _place_down),
)
