"""A service's own view of boards, members and lists, built from the board service's events
(and, on a denial, from its direct answer) and stored in that service's database; the task and
activity services both keep one.

Documents (one per aggregate, so every update is a single-document atomic write)::

    boards: {_id: boardId, version, membersAt?, deleted?, members: {<userId>: {role, v}},
             checkedAt?, suspect?}   (reconciliation: epoch ms of the last check, of a gap)
    lists:  {_id: listId, boardId, position, pv, v, deleted?, archived?, av?}
    labels: {_id: labelId, boardId, name, color, v, deleted?}   (v: the board's version)

Every write is guarded by versions, so events may arrive twice or out of order: a member entry
changes only for a newer board version than the one it was written at (a removal leaves
``role: null`` behind so an older ``member_added`` cannot resurrect it), a list's position only
for a newer list version (``pv``; ``v`` is the newest version seen), whether it is archived
only for a newer list version than the one that last set it (``av``), and deletions are final
tombstones. A guarded upsert whose guard fails collides with the existing ``_id``; the write is
then retried as a plain update, which applies only if the document was created concurrently by
another event and the guard holds against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_shared.authz import Role
from hintro_shared.boardview.model import BoardSnapshot, LabelRef, ListRef
from hintro_shared.events.outbox import LIVE

Document = dict[str, Any]
_NOT_DELETED = LIVE  # deletion tombstones use the outbox's flag
_LIST_FIELDS = {"boardId": 1, "position": 1, "v": 1, "deleted": 1, "archived": 1}
_NOT_ARCHIVED: Document = {"archived": {"$nin": [True]}}
_LABEL_FIELDS = {"boardId": 1, "name": 1, "color": 1, "v": 1, "deleted": 1}


def _older_than(base: Document, path: str, version: int) -> Document:
    """Filter: ``base`` matches and ``path`` is missing or below ``version``.

    The ``$or`` sits inside an ``$and``: nx-27017 0.8.1 drops the sibling conditions of a
    top-level ``$or`` in update filters (and would update some other document)."""
    return {"$and": [base, {"$or": [{path: {"$exists": False}}, {path: {"$lt": version}}]}]}


def _member_entry(doc: Mapping[str, Any], user_id: str) -> Any:
    # A dotted projection comes back nested from MongoDB and flat ("members.<id>") from
    # nx-27017; accept both so the same code runs on either server.
    flat = doc.get(f"members.{user_id}")
    if flat is not None:
        return flat
    members = doc.get("members")
    return members.get(user_id) if isinstance(members, Mapping) else None


def _list_ref(doc: Mapping[str, Any]) -> ListRef:
    return ListRef(
        id=doc["_id"],
        board_id=doc["boardId"],
        position=doc.get("position", ""),
        version=doc.get("v", 0),
        deleted=bool(doc.get("deleted", False)),
        archived=bool(doc.get("archived", False)),
    )


def _label_ref(doc: Mapping[str, Any]) -> LabelRef:
    return LabelRef(
        id=doc["_id"],
        board_id=doc.get("boardId", ""),
        name=doc.get("name", ""),
        color=doc.get("color", ""),
        version=doc.get("v", 0),
        deleted=bool(doc.get("deleted", False)),
    )


class BoardProjection:
    """Reads and guarded writes of the boards/lists projection (collection names overridable,
    so a service can keep other things called "lists" beside it)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        boards: str = "boards",
        lists: str = "lists",
        labels: str = "labels",
    ) -> None:
        self._boards = db[boards]
        self._lists = db[lists]
        self._labels = db[labels]

    async def create_indexes(self) -> None:
        """Indexes the read paths use (lists of a board in order)."""
        await self._lists.create_index(
            [("boardId", ASCENDING), ("position", ASCENDING)], name="board_position"
        )

    # --- reads ---------------------------------------------------------------------------------

    async def role_of(self, board_id: str, user_id: str) -> Role | None:
        """The member's role on a live board, or ``None`` (not a member, unknown, deleted)."""
        doc = await self._boards.find_one(
            {"_id": board_id, **_NOT_DELETED}, {f"members.{user_id}": 1}
        )
        if doc is None:
            return None
        entry = _member_entry(doc, user_id)
        role = entry.get("role") if isinstance(entry, Mapping) else None
        return Role(role) if role else None

    async def get_list(self, list_id: str) -> ListRef | None:
        """The list as last learnt (possibly archived or a deletion tombstone), or ``None`` if
        unknown."""
        doc = await self._lists.find_one({"_id": list_id}, _LIST_FIELDS)
        return None if doc is None else _list_ref(doc)

    async def board_lists(self, board_id: str) -> list[ListRef]:
        """The board's live (not archived) lists in board order."""
        query = {"boardId": board_id, **_NOT_DELETED, **_NOT_ARCHIVED}
        cursor = self._lists.find(query, _LIST_FIELDS).sort(
            [("position", ASCENDING), ("_id", ASCENDING)]
        )
        return [_list_ref(doc) async for doc in cursor]

    async def boards_of(self, user_id: str) -> list[str]:
        """The ids of the live boards ``user_id`` is a member of (cross-board search)."""
        cursor = self._boards.find(
            {f"members.{user_id}.role": {"$in": [role.value for role in Role]}, **_NOT_DELETED},
            {"_id": 1},
        )
        return [doc["_id"] async for doc in cursor]

    async def get_labels(self, label_ids: list[str]) -> list[LabelRef]:
        """The labels of ``label_ids`` as last learnt (tombstones included); unknown ids are
        absent."""
        if not label_ids:
            return []
        cursor = self._labels.find({"_id": {"$in": sorted(set(label_ids))}}, _LABEL_FIELDS)
        return [_label_ref(doc) async for doc in cursor]

    async def board_labels(self, board_id: str) -> list[LabelRef]:
        """The board's live labels (by id)."""
        cursor = self._labels.find({"boardId": board_id, **_NOT_DELETED}, _LABEL_FIELDS)
        return sorted([_label_ref(doc) async for doc in cursor], key=lambda ref: ref.id)

    async def due_for_check(self, checked_before: int, limit: int) -> list[str]:
        """Live boards last reconciled before ``checked_before`` (epoch ms), never reconciled,
        or marked suspect by a version gap; at most ``limit``."""
        query: Document = {
            "$and": [
                {**_NOT_DELETED},
                {
                    "$or": [
                        {"checkedAt": {"$exists": False}},
                        {"checkedAt": {"$lt": checked_before}},
                        {"suspect": {"$exists": True}},
                    ]
                },
            ]
        }
        cursor = self._boards.find(query, {"_id": 1}).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def members_of(self, board_id: str) -> dict[str, Role]:
        """The board's members with a role, as the projection holds them."""
        doc = await self._boards.find_one({"_id": board_id}, {"members": 1})
        members = doc.get("members") if doc is not None else None
        if not isinstance(members, Mapping):
            return {}
        return {
            user_id: Role(entry["role"])
            for user_id, entry in members.items()
            if isinstance(entry, Mapping) and entry.get("role")
        }

    async def mark_checked(self, board_id: str, at: int, started: int) -> None:
        """Note the board reconciled at ``at``; a gap noted before ``started`` is resolved."""
        await self._boards.update_one({"_id": board_id}, {"$set": {"checkedAt": at}})
        await self._boards.update_one(
            {"_id": board_id, "suspect": {"$lte": started}}, {"$unset": {"suspect": ""}}
        )

    async def note_version(self, board_id: str, v: int, at: int) -> None:
        """An event of the board at version ``v`` is about to apply: if the projection holds
        an older version than ``v - 1``, one or more events are missing (lost, dead-lettered,
        or merely still in flight) and the board is marked for a prompt reconciliation."""
        await self._boards.update_one(
            {"_id": board_id, **_NOT_DELETED, "version": {"$lt": v - 1}},
            {"$set": {"suspect": at}},
        )

    # --- guarded writes ------------------------------------------------------------------------

    async def _guarded_upsert(self, collection: Any, query: Document, update: Document) -> bool:
        try:
            await collection.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            # The document exists: either its guard failed (already as new or newer, or
            # deleted) or a concurrent event created it a moment ago; a plain update applies
            # only in the second case.
            result = await collection.update_one(query, update)
            return bool(result.matched_count)
        return True

    async def set_member(self, board_id: str, user_id: str, role: Role | None, v: int) -> bool:
        """Record ``user_id``'s role (``None``: removed) as of board version ``v``.

        Applies if the member's entry is older than ``v`` or, when there is no entry, if the
        member map was not replaced by a snapshot at ``v`` or later (``membersAt``): after a
        snapshot, absence means "not a member as of membersAt"."""
        path = f"members.{user_id}"
        entry_older = {f"{path}.v": {"$lt": v}}
        absent_since_older_snapshot = {
            "$and": [
                {f"{path}.v": {"$exists": False}},
                {"$or": [{"membersAt": {"$exists": False}}, {"membersAt": {"$lt": v}}]},
            ]
        }
        return await self._guarded_upsert(
            self._boards,
            {
                "$and": [
                    {"_id": board_id, **_NOT_DELETED},
                    {"$or": [entry_older, absent_since_older_snapshot]},
                ]
            },
            {
                "$set": {path: {"role": role.value if role else None, "v": v}},
                "$max": {"version": v},
            },
        )

    async def touch_board(self, board_id: str, v: int) -> None:
        """Note that the board exists at version ``v`` (``board.updated``)."""
        await self._guarded_upsert(
            self._boards, {"_id": board_id, **_NOT_DELETED}, {"$max": {"version": v}}
        )

    async def delete_board(self, board_id: str, v: int) -> None:
        """Tombstone the board and its lists (final: later events about them are ignored)."""
        await self._boards.update_one(
            {"_id": board_id}, {"$set": {"deleted": True}, "$max": {"version": v}}, upsert=True
        )
        await self._lists.update_many({"boardId": board_id}, {"$set": {"deleted": True}})
        await self._labels.update_many({"boardId": board_id}, {"$set": {"deleted": True}})

    async def upsert_list(
        self, list_id: str, board_id: str, v: int, position: str | None = None
    ) -> bool:
        """Record a list seen at version ``v``; its ``position`` (when the event carries one)
        only if no newer position is held. Events of one list may be handled concurrently and
        so in any order: the position has its own version (``pv``) for that reason."""
        if position is None:
            return await self._guarded_upsert(
                self._lists,
                {"_id": list_id, **_NOT_DELETED},
                {"$set": {"boardId": board_id}, "$max": {"v": v}},
            )
        return await self._guarded_upsert(
            self._lists,
            _older_than({"_id": list_id, **_NOT_DELETED}, "pv", v),
            {"$set": {"boardId": board_id, "position": position, "pv": v}, "$max": {"v": v}},
        )

    async def set_list_archived(self, list_id: str, board_id: str, archived: bool, v: int) -> bool:
        """Record whether the list is archived as of list version ``v`` (only if no newer
        archive or restore is held)."""
        return await self._guarded_upsert(
            self._lists,
            _older_than({"_id": list_id, **_NOT_DELETED}, "av", v),
            {"$set": {"boardId": board_id, "archived": archived, "av": v}, "$max": {"v": v}},
        )

    async def delete_list(self, list_id: str, board_id: str, v: int) -> None:
        """Tombstone the list (final)."""
        await self._lists.update_one(
            {"_id": list_id},
            {"$set": {"deleted": True, "boardId": board_id}, "$max": {"v": v}},
            upsert=True,
        )

    async def upsert_label(
        self,
        label_id: str,
        board_id: str,
        v: int,
        fields: Mapping[str, str],
    ) -> bool:
        """Record the label's ``fields`` (name, colour) as of board version ``v``, unless a
        newer state of the label is held or it was deleted."""
        return await self._guarded_upsert(
            self._labels,
            _older_than({"_id": label_id, **_NOT_DELETED}, "v", v),
            {"$set": {"boardId": board_id, **fields, "v": v}},
        )

    async def delete_label(self, label_id: str, board_id: str, v: int) -> None:
        """Tombstone the label (final)."""
        await self._labels.update_one(
            {"_id": label_id},
            {"$set": {"deleted": True, "boardId": board_id}, "$max": {"v": v}},
            upsert=True,
        )

    async def apply_snapshot(self, snapshot: BoardSnapshot) -> None:
        """Take in the board service's current answer where it is newer than what is held.

        Members are replaced as a whole when the snapshot's board version is newer: every member
        entry was written at a board version no higher than the stored one, so none of them can
        be newer than the snapshot; ``membersAt`` remembers that absence now means "not a
        member as of that version", so a late, older ``member_added`` cannot resurrect anyone.
        Lists are only added or updated: a list missing from the snapshot may simply be newer
        than it, and deletions arrive as ``list.deleted``. A list in the snapshot is not
        archived as of its version (the board service leaves archived lists out)."""
        members = {
            user_id: {"role": role.value, "v": snapshot.version}
            for user_id, role in snapshot.members.items()
        }
        await self._guarded_upsert(
            self._boards,
            _older_than({"_id": snapshot.board_id, **_NOT_DELETED}, "version", snapshot.version),
            {
                "$set": {
                    "members": members,
                    "version": snapshot.version,
                    "membersAt": snapshot.version,
                }
            },
        )
        for ref in snapshot.lists:
            await self._guarded_upsert(
                self._lists,
                _older_than({"_id": ref.id, **_NOT_DELETED}, "pv", ref.version),
                {
                    "$set": {"boardId": ref.board_id, "position": ref.position, "pv": ref.version},
                    "$max": {"v": ref.version},
                },
            )
            if ref.version:
                await self.set_list_archived(ref.id, ref.board_id, False, ref.version)
        for label in snapshot.labels:
            await self.upsert_label(
                label.id,
                snapshot.board_id,
                label.version,
                {"name": label.name, "color": label.color},
            )
