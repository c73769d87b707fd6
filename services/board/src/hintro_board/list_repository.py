"""MongoDB persistence of lists: ordered per board by a unique (boardId, position) index.

Each write is a single-document insert or compare-and-set update carrying its event (the shared
outbox). A position collision surfaces as :class:`~hintro_board.ports.PositionTaken` so the use
case can recompute from fresh neighbours and retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_board.domain import BoardList
from hintro_board.ports import PositionTaken
from hintro_board.repository import (
    ARCHIVED,
    LIST_FIELDS,
    NOT_ARCHIVED,
    Collection,
    Document,
    archive_update,
    list_from,
    live_id,
)
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import LIVE, outbox_fields, tombstone_update, with_outbox
from hintro_shared.events.relay import ensure_outbox_index
from hintro_shared.mongo import exactly

# A deleted list keeps its document (a tombstone) until its events are out; moving its
# position out of the live key space frees the unique (boardId, position) slot at once.
_TOMBSTONE_POSITION_PREFIX = "~deleted~"


class MongoLists:
    """Lists in the ``lists`` collection, ordered per board by a unique position."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db["lists"]

    async def create_indexes(self) -> None:
        """The unique order of a board's lists, and the outbox sweeper's indexes."""
        await self.collection.create_index(
            [("boardId", ASCENDING), ("position", ASCENDING)], unique=True, name="board_position"
        )
        await ensure_outbox_index(self.collection)

    async def insert(self, board_list: BoardList, event: EventEnvelope) -> None:
        """Store a new list with its ``list.created`` event; :class:`PositionTaken` on a tie."""
        doc: Document = {
            "_id": board_list.id,
            "boardId": board_list.board_id,
            "title": board_list.title,
            "position": board_list.position,
            "createdAt": board_list.created_at,
            "updatedAt": board_list.updated_at,
            "version": board_list.version,
            **outbox_fields(event, order=board_list.version),
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise PositionTaken(board_list.position) from exc

    async def get(self, list_id: str) -> BoardList | None:
        """The list (archived or not; never a deleted one), or ``None``."""
        doc = await self.collection.find_one(live_id(list_id), LIST_FIELDS)
        return None if doc is None else list_from(doc)

    async def of_board(self, board_id: str) -> list[BoardList]:
        """The board's live (not archived) lists in order."""
        cursor = self.collection.find(
            {"boardId": exactly(board_id), **LIVE, **NOT_ARCHIVED}, LIST_FIELDS
        ).sort("position", ASCENDING)
        return [list_from(doc) async for doc in cursor]

    async def archived_of_board(self, board_id: str) -> list[BoardList]:
        """The board's archived lists, the most recently archived first."""
        cursor = self.collection.find(
            {"boardId": exactly(board_id), **LIVE, **ARCHIVED}, LIST_FIELDS
        )
        lists = [list_from(doc) async for doc in cursor]
        return sorted(lists, key=lambda item: (item.archived_at, item.id), reverse=True)

    async def set_archived(
        self,
        list_id: str,
        version: int,
        archived_at: datetime | None,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Archive (``archived_at``) or restore (``None``) the list if still at ``version``.
        An archived list keeps its position (the unique index holds its place), so a restore
        puts it back exactly where it was."""
        update = {**archive_update(archived_at, updated_at), "$inc": {"version": 1}}
        result = await self.collection.update_one(
            {**live_id(list_id), "version": version}, with_outbox(update, event, order=version + 1)
        )
        return result.matched_count == 1

    async def position_of(self, board_id: str, list_id: str) -> str | None:
        """The position of a live list of this board, ``None`` if there is no such list."""
        doc = await self.collection.find_one(
            {"_id": list_id, "boardId": board_id, **LIVE, **NOT_ARCHIVED}, {"position": 1}
        )
        return None if doc is None else str(doc["position"])

    async def neighbour(
        self, board_id: str, position: str | None, *, above: bool, exclude: str | None
    ) -> str | None:
        """The nearest live position after (``above``) or before ``position`` on the board,
        ignoring the list ``exclude`` (the one being moved); ``position=None`` with
        ``above=False`` is the last position."""
        query: Document = {"boardId": exactly(board_id), **LIVE, **NOT_ARCHIVED}
        if position is not None:
            query["position"] = {"$gt" if above else "$lt": position}
        if exclude is not None:
            query["_id"] = {"$ne": exclude}
        doc = await self.collection.find_one(
            query, {"position": 1}, sort=[("position", ASCENDING if above else DESCENDING)]
        )
        return None if doc is None else str(doc["position"])

    async def update(
        self,
        list_id: str,
        version: int,
        fields: Mapping[str, Any],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Rename and/or move the list if it is still at ``version``; :class:`PositionTaken`
        when the new position is already used."""
        update = {"$set": {**fields, "updatedAt": updated_at}, "$inc": {"version": 1}}
        try:
            result = await self.collection.update_one(
                {**live_id(list_id), "version": version},
                with_outbox(update, event, order=version + 1),
            )
        except DuplicateKeyError as exc:
            raise PositionTaken(str(fields.get("position"))) from exc
        return result.matched_count == 1

    async def tombstone(self, list_id: str, version: int, event: EventEnvelope) -> bool:
        """Delete the list (a tombstone until ``list.deleted`` is out)."""
        update = tombstone_update(
            event,
            order=version + 1,
            extra_set={
                "version": version + 1,
                "position": f"{_TOMBSTONE_POSITION_PREFIX}{list_id}",
            },
        )
        result = await self.collection.update_one({**live_id(list_id), "version": version}, update)
        return result.matched_count == 1

    async def delete_of_board(self, board_id: str) -> int:
        """Remove every list of a deleted board (no per-list events: ``board.deleted`` says
        it); idempotent."""
        result = await self.collection.delete_many({"boardId": board_id})
        return result.deleted_count
