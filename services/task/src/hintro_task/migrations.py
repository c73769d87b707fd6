"""The task database's migrations (``python -m hintro_task.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from hintro_shared.events.envelope import new_event
from hintro_shared.events.outbox import LIVE, outbox_fields
from hintro_shared.labels import imported_label_color, imported_label_id
from hintro_shared.migrations import Database, Index, Migration, index_migration, walk

LABEL_IMPORTS = "label_imports"
"""One document per board whose tasks had free-text labels: the ``labels.imported`` event that
tells the board service which labels to create, in that document's outbox."""


def _clean(labels: Any) -> list[str]:
    # Free-text labels were trimmed and 1 to 50 characters when written; keep what still is.
    if not isinstance(labels, list):
        return []
    names = (label.strip() for label in labels if isinstance(label, str))
    return list(dict.fromkeys(name for name in names if 0 < len(name) <= 50))


async def _labels_up(db: Database) -> None:
    """Free-text task labels become board labels referred to by id.

    Each distinct text of a board gets the id :func:`~hintro_shared.labels.imported_label_id`
    derives from board and text, so the step is idempotent and every task naming the same text
    gets the same label. Tasks gain ``labelIds`` (their ``labels`` stay, for the previous
    release's pods during the rolling update; the next release drops them). The board service
    learns the labels from one ``labels.imported`` event per board, published by the task
    service's relay from ``label_imports`` once it starts; the task service's own board
    projection learns them at once (``labels``), so the ids are accepted right away."""
    tasks = db["tasks"]
    boards: dict[str, dict[str, str]] = {}
    query = {"labels": {"$exists": True}, **LIVE}
    async for doc in walk(tasks, query, {"boardId": 1, "labels": 1, "labelIds": 1}):
        names = _clean(doc.get("labels"))
        board_id = str(doc["boardId"])
        found = boards.setdefault(board_id, {})
        ids = []
        for name in names:
            label_id = imported_label_id(board_id, name)
            found.setdefault(label_id, name)
            ids.append(label_id)
        if "labelIds" not in doc:
            await tasks.update_one(
                {"_id": doc["_id"], "labelIds": {"$exists": False}},
                {"$set": {"labelIds": ids}},
            )
    for board_id, labels in boards.items():
        if not labels:
            continue
        imported = [
            {"labelId": label_id, "name": name, "color": imported_label_color(name)}
            for label_id, name in labels.items()
        ]
        for item in imported:
            await db["labels"].update_one(
                {"_id": item["labelId"]},
                {
                    "$setOnInsert": {
                        "boardId": board_id,
                        "name": item["name"],
                        "color": item["color"],
                        "v": 0,
                    }
                },
                upsert=True,
            )
        event = new_event(
            "labels.imported",
            source="hintro/task",
            board_id=board_id,
            data={"boardId": board_id, "labels": imported},
        )
        # On a rerun the board's import exists: it is out or on its way.
        with contextlib.suppress(DuplicateKeyError):
            await db[LABEL_IMPORTS].insert_one(
                {"_id": board_id, "labels": imported, **outbox_fields(event, order=1)}
            )


async def _labels_down(db: Database) -> None:
    """Tasks get free-text ``labels`` back from their ``labelIds``, with the names the board
    projection holds (labels renamed since keep their new names; deleted ones are gone), and
    lose ``labelIds``. Board labels stay on the board service (its own data); ``startDate``
    and ``dueComplete`` stay too (the previous release ignores them)."""
    tasks = db["tasks"]
    names: dict[str, str] = {}
    async for label in db["labels"].find({**LIVE}, {"name": 1}):
        if label.get("name"):
            names[str(label["_id"])] = str(label["name"])
    async for doc in walk(tasks, {"labelIds": {"$exists": True}}, {"labelIds": 1}):
        labels = [names[lid] for lid in doc.get("labelIds") or () if lid in names]
        await tasks.update_one(
            {"_id": doc["_id"], "labelIds": {"$exists": True}},
            {"$set": {"labels": list(dict.fromkeys(labels))}, "$unset": {"labelIds": ""}},
        )
    await db[LABEL_IMPORTS].drop()


async def _search_up(db: Database) -> None:
    """Index the tasks and comments written before search existed. The one migration that uses
    the service's code (the words and postings are whatever search reads today); it is
    idempotent, and the index's version guard makes it harmless beside a running consumer."""
    # Imported here: the search modules import the repository, which this module must not.
    from hintro_task.repository import TaskRepository
    from hintro_task.search import SearchIndexer
    from hintro_task.search_index import SearchIndex

    index = SearchIndex(db)
    await index.create_indexes()
    indexer = SearchIndexer(index, TaskRepository(db))
    async for doc in db["tasks"].find(LIVE, {"version": 1}):
        await indexer.reindex_task(doc["_id"], int(doc.get("version", 1)))
    async for doc in db["comments"].find({"pending": {"$exists": False}, **LIVE}, {"version": 1}):
        await indexer.reindex_comment(doc["_id"], int(doc.get("version", 1)), gone=False)


async def _search_down(db: Database) -> None:
    for name in ("search_items", "search_terms", "search_names"):
        await db.drop_collection(name)


async def _ranked_keys_up(db: Database) -> None:
    """Postings written before the ranked keys get them (``r`` and ``x``, see
    :func:`hintro_task.searching.posting_keys`); idempotent, and the keys derive from the
    posting alone, so a posting the consumer rewrites meanwhile gets the same ones."""
    from hintro_task.searching import posting_keys

    terms = db["search_terms"]
    async for doc in walk(terms, {}, {"w": 1, "p": 1, "u": 1, "i": 1, "r": 1}):
        if "r" not in doc:
            keys = posting_keys(doc["w"], int(doc.get("p", 0)), doc.get("u", ""), doc["i"])
            await terms.update_one({"_id": doc["_id"]}, {"$set": keys})


async def _ranked_keys_down(db: Database) -> None:
    await db["search_terms"].update_many({}, {"$unset": {"r": "", "x": ""}})


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
        "outbox of the label imports",
        Index(LABEL_IMPORTS, (("outboxPending", 1),), "outbox_pending"),
        Index(LABEL_IMPORTS, (("deleted", 1),), "outbox_tombstone", sparse=True),
    ),
    Migration(3, "board labels from free-text task labels", _labels_up, _labels_down),
    index_migration(
        4,
        "comments: a task's comments newest first, by board, the healer's scan, outbox",
        Index("comments", (("taskId", 1), ("createdAt", -1)), "task_created"),
        Index("comments", (("boardId", 1),), "board"),
        Index("comments", (("pendingSince", 1),), "pending_since", sparse=True),
        Index("comments", (("outboxPending", 1),), "outbox_pending"),
        Index("comments", (("deleted", 1),), "outbox_tombstone", sparse=True),
    ),
    index_migration(
        5,
        "search index: words by board, an item's words by version, a task's words and comments",
        Index("search_terms", (("w", 1), ("b", 1)), "word_board"),
        Index("search_terms", (("i", 1), ("v", 1)), "item_version"),
        Index("search_terms", (("k", 1),), "task"),
        Index("search_items", (("taskId", 1),), "task"),
    ),
    Migration(
        6, "search index: the tasks and comments written before it", _search_up, _search_down
    ),
    index_migration(
        7,
        "search index: a word's matches in rank order, by whole word and by first letters",
        Index("search_terms", (("r", 1),), "ranked_word"),
        Index("search_terms", (("x", 1),), "ranked_prefix"),
    ),
    Migration(
        8,
        "search index: the ranked keys of the postings written before them",
        _ranked_keys_up,
        _ranked_keys_down,
    ),
)
