"""The names summaries use, as this service learns them from events: users' names
(``user.registered``), lists' titles (``list.created``/``updated``/``deleted``) and tasks'
titles (``task.*`` events that carry one).

Documents::

    users:       {_id: userId, name, nameAt}   nameAt = epoch ms of the event that set it
    list_titles: {_id: listId, boardId, title, v}      v = the list version the title is from
    task_titles: {_id: taskId, boardId, title, v}

(``boards`` and ``lists`` are the shared board view's, see :mod:`hintro_shared.boardview`.)

Titles are version-guarded (:func:`~hintro_shared.events.idempotency.apply_if_newer`), so a
late or repeated event never puts back an older title. A deleted list or task keeps its last
title (later entries may still name it); a deleted board takes all of its names with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from hintro_activity.domain import HEALABLE, NameKind, NameRef, Names
from hintro_shared.events.idempotency import apply_if_newer

Document = dict[str, Any]
# Which collection and field hold each kind of name.
_SOURCES: dict[NameKind, tuple[str, str]] = {
    "user": ("users", "name"),
    "list": ("list_titles", "title"),
    "previous_list": ("list_titles", "title"),
    "task": ("task_titles", "title"),
    "previous_task": ("task_titles", "title"),
}
_FIELD = {"users": "name", "list_titles": "title", "task_titles": "title"}


class NameDirectory:
    """Reads and guarded writes of the users/lists/tasks names projection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        self.users = db["users"]
        self.lists = db["list_titles"]
        self.tasks = db["task_titles"]

    async def create_indexes(self) -> None:
        """The board's names go with the board: deleting by ``boardId``."""
        await self.lists.create_index([("boardId", ASCENDING)], name="board")
        await self.tasks.create_index([("boardId", ASCENDING)], name="board")

    async def lookup(self, refs: Iterable[NameRef], *, version: int | None = None) -> Names:
        """The names known now for ``refs`` (one query per collection involved).

        A *previous* title (``previous_list``/``previous_task``) is only taken from before
        ``version`` (the renaming event's): a newer title, from an event handled first, or this
        very event's on a redelivery, is not what the rename replaced."""
        current = [ref for ref in refs if ref.kind in HEALABLE]
        previous = [ref for ref in refs if ref.kind not in HEALABLE]
        wanted: dict[str, set[str]] = {}
        for ref in current:
            wanted.setdefault(_SOURCES[ref.kind][0], set()).add(ref.id)
        found: dict[str, dict[str, str]] = {}
        for collection, ids in wanted.items():
            field = _FIELD[collection]
            cursor = self._db[collection].find({"_id": {"$in": sorted(ids)}}, {field: 1})
            found[collection] = {
                str(doc["_id"]): doc[field]
                async for doc in cursor
                if isinstance(doc.get(field), str)
            }
        names = Names()
        for ref in current:
            name = found.get(_SOURCES[ref.kind][0], {}).get(ref.id)
            if name is not None:
                names.add(ref, name)
        for ref in previous:
            if version is None:
                continue
            doc = await self._db[_SOURCES[ref.kind][0]].find_one(
                {"_id": ref.id, "v": {"$lt": version}}, {"title": 1}
            )
            if doc is not None and isinstance(doc.get("title"), str):
                names.add(ref, doc["title"])
        return names

    async def add_user(self, user_id: str, name: str, at_ms: int) -> None:
        """Record a registered user's name; a replay never undoes a later rename (the name is
        written only when the document is created)."""
        await self.users.update_one(
            {"_id": user_id}, {"$setOnInsert": {"name": name, "nameAt": at_ms}}, upsert=True
        )

    async def rename_user(self, user_id: str, name: str, at_ms: int) -> None:
        """Take a rename made at ``at_ms`` unless a newer name is held. Entries already
        written keep the name they were written with; only later ones use this one."""
        if await apply_if_newer(
            self.users, {"_id": user_id}, at_ms, {"name": name}, version_field="nameAt"
        ):
            return
        # Names recorded before they carried a time have no nameAt: any rename is newer.
        await self.users.update_one(
            {"_id": user_id, "nameAt": {"$exists": False}},
            {"$set": {"name": name, "nameAt": at_ms}},
        )

    async def set_list_title(self, list_id: str, board_id: str, title: str, v: int) -> None:
        """Record a list's title as of list version ``v`` (only if newer than the held one)."""
        await apply_if_newer(
            self.lists,
            {"_id": list_id},
            v,
            {"boardId": board_id, "title": title},
            version_field="v",
        )

    async def set_task_title(self, task_id: str, board_id: str, title: str, v: int) -> None:
        """Record a task's title as of task version ``v`` (only if newer than the held one)."""
        await apply_if_newer(
            self.tasks,
            {"_id": task_id},
            v,
            {"boardId": board_id, "title": title},
            version_field="v",
        )

    async def forget_board(self, board_id: str) -> None:
        """Drop the names of a deleted board's lists and tasks."""
        await self.lists.delete_many({"boardId": board_id})
        await self.tasks.delete_many({"boardId": board_id})
