"""MongoDB persistence of boards and the users projection (lists: ``list_repository``).

Every write is a single-document insert or compare-and-set update (``version`` in the filter)
that carries the change's events in the same document (the shared outbox), so a change and
its event commit together on MongoDB and on nx-27017 alike. Members live in the board document
as a ``memberIds`` array (``$addToSet``/``$pull``; the multikey index behind "boards I am in")
and a ``roles`` map (dotted ``$set``/``$unset``); never ``$push``.

nx-27017 quirks this module works around (each is pinned by the conformance test):
- ``{array: {$ne: x}}`` matches even when ``x`` is in the array, so "not yet a member" is
  ``roles.<id>: {$exists: false}``;
- an index containing ``_id`` makes inserts fail and a single-field index on an array field
  makes equality queries on it return nothing, so "boards I am in" is indexed as
  ``{memberIds: 1, createdAt: -1}`` and paginated by ``(createdAt, _id)``;
- dotted projections come back flat, so reads project whole fields only;
- a datetime written by ``$set`` reads back as a naive "YYYY-MM-DD HH:MM:SS.ffffff" string (an
  inserted one reads back as a datetime), so :func:`~hintro_shared.timeutil.stored_time` reads both.
"""

from __future__ import annotations

from collections.abc import Collection as Collection_
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from hintro_board.domain import Board, BoardList, Profile, labels_from, members_from
from hintro_shared.authz import Role
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import LIVE, outbox_fields, tombstone_update, with_outbox
from hintro_shared.events.relay import ensure_outbox_index
from hintro_shared.timeutil import stored_time

Document = dict[str, Any]
Collection = AsyncCollection[Document]

BOARD_FIELDS: dict[str, int] = {
    "title": 1,
    "description": 1,
    "ownerId": 1,
    "memberIds": 1,
    "roles": 1,
    "labels": 1,
    "createdAt": 1,
    "updatedAt": 1,
    "version": 1,
    "archivedAt": 1,
}
LIST_FIELDS: dict[str, int] = {
    "boardId": 1,
    "title": 1,
    "position": 1,
    "createdAt": 1,
    "updatedAt": 1,
    "version": 1,
    "archivedAt": 1,
}
# Archived boards and lists keep their documents (and a list its position), flagged
# ``archived: true``; normal reads add this fragment. ``$nin`` for the reason LIVE uses it.
NOT_ARCHIVED: dict[str, Any] = {"archived": {"$nin": [True]}}
ARCHIVED: dict[str, Any] = {"archived": True}


def _archived_at(doc: Mapping[str, Any]) -> datetime | None:
    value = doc.get("archivedAt")
    return None if value is None else stored_time(value)


def board_from(doc: Mapping[str, Any]) -> Board:
    """A :class:`Board` from its stored document."""
    return Board(
        id=doc["_id"],
        title=doc["title"],
        description=doc.get("description", ""),
        owner_id=doc["ownerId"],
        members=members_from(doc["ownerId"], doc.get("memberIds", []), doc.get("roles", {})),
        created_at=stored_time(doc["createdAt"]),
        updated_at=stored_time(doc["updatedAt"]),
        version=doc["version"],
        labels=labels_from(doc.get("labels") or {}),
        archived_at=_archived_at(doc),
    )


def list_from(doc: Mapping[str, Any]) -> BoardList:
    """A :class:`BoardList` from its stored document."""
    return BoardList(
        id=doc["_id"],
        board_id=doc["boardId"],
        title=doc["title"],
        position=doc["position"],
        created_at=stored_time(doc["createdAt"]),
        updated_at=stored_time(doc["updatedAt"]),
        version=doc["version"],
        archived_at=_archived_at(doc),
    )


def archive_update(archived_at: datetime | None, updated_at: datetime) -> Document:
    """The ``$set`` that archives (``archived_at``) or restores (``None``) a board or list."""
    return {
        "$set": {
            "archived": archived_at is not None,
            "archivedAt": archived_at,
            "updatedAt": updated_at,
        }
    }


class MongoBoards:
    """Boards (with their members) in the ``boards`` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db["boards"]

    async def create_indexes(self) -> None:
        """Indexes of the board read paths and of the outbox sweeper."""
        await self.collection.create_index([("ownerId", ASCENDING)], name="owner")
        await self.collection.create_index(
            [("memberIds", ASCENDING), ("createdAt", DESCENDING)], name="member_boards"
        )
        await ensure_outbox_index(self.collection)

    async def insert(self, board: Board, event: EventEnvelope) -> None:
        """Store a new board together with its ``board.created`` event."""
        doc: Document = {
            "_id": board.id,
            "title": board.title,
            "description": board.description,
            "ownerId": board.owner_id,
            "memberIds": [m.user_id for m in board.members],
            "roles": {m.user_id: m.role.value for m in board.members},
            "createdAt": board.created_at,
            "updatedAt": board.updated_at,
            "version": board.version,
            **outbox_fields(event, order=board.version),
        }
        await self.collection.insert_one(doc)

    async def get(self, board_id: str) -> Board | None:
        """The live board, or ``None``."""
        doc = await self.collection.find_one(live_id(board_id), BOARD_FIELDS)
        return None if doc is None else board_from(doc)

    async def get_many(self, board_ids: list[str]) -> list[Board]:
        """The live boards among ``board_ids`` (a missing id is deleted or never existed)."""
        query: Document = {"_id": {"$in": sorted(set(board_ids))}, **LIVE}
        return [board_from(doc) async for doc in self.collection.find(query, BOARD_FIELDS)]

    async def board_of_label(self, label_id: str) -> str | None:
        """The board holding a label of this id (deleted boards included), or ``None``. Label
        ids are global (the other services' copies are keyed by them); only a create naming its
        own id asks, so the scan is paid by imports alone."""
        # Labels are a map keyed by id; given ids are 32 hex characters, safe in a path.
        doc = await self.collection.find_one({f"labels.{label_id}": {"$exists": True}}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    async def page_for_member(
        self,
        user_id: str,
        limit: int,
        after: tuple[datetime, str] | None,
        *,
        archived: bool = False,
    ) -> list[Board]:
        """Boards the user is a member of, newest first, after the cursor's (createdAt, id):
        the archived ones with ``archived``, else the others."""
        query: Document = {"memberIds": user_id, **LIVE, **(ARCHIVED if archived else NOT_ARCHIVED)}
        if after is not None:
            created_at, board_id = after
            query["$or"] = [
                {"createdAt": {"$lt": created_at}},
                {"createdAt": created_at, "_id": {"$lt": board_id}},
            ]
        cursor = (
            self.collection.find(query, BOARD_FIELDS)
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [board_from(doc) async for doc in cursor]

    async def _cas(
        self, board_id: str, version: int, update: Document, extra: Document | None = None
    ) -> bool:
        query = {**live_id(board_id), "version": version, **(extra or {})}
        result = await self.collection.update_one(query, update)
        return result.matched_count == 1

    async def _bump(
        self,
        board_id: str,
        version: int,
        update: Document,
        event: EventEnvelope,
        extra: Document | None = None,
    ) -> bool:
        """``update`` plus the version bump and its event, if the board is still at ``version``."""
        bumped = {**update, "$inc": {"version": 1}}
        return await self._cas(
            board_id, version, with_outbox(bumped, event, order=version + 1), extra
        )

    async def update_fields(
        self,
        board_id: str,
        version: int,
        fields: Mapping[str, Any],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Set title/description if the board is still at ``version``."""
        update = {"$set": {**fields, "updatedAt": updated_at}}
        return await self._bump(board_id, version, update, event)

    async def add_member(
        self,
        board_id: str,
        version: int,
        user_id: str,
        role: Role,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Add a member if the board is still at ``version`` and they are not one yet."""
        update = {
            "$addToSet": {"memberIds": user_id},
            "$set": {f"roles.{user_id}": role.value, "updatedAt": updated_at},
        }
        return await self._bump(
            board_id, version, update, event, {f"roles.{user_id}": {"$exists": False}}
        )

    async def change_role(
        self,
        board_id: str,
        version: int,
        user_id: str,
        role: Role,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Give a (non-owner) member another role if the board is still at ``version``."""
        update = {"$set": {f"roles.{user_id}": role.value, "updatedAt": updated_at}}
        return await self._bump(board_id, version, update, event, _non_owner_member(user_id))

    async def remove_member(
        self, board_id: str, version: int, user_id: str, updated_at: datetime, event: EventEnvelope
    ) -> bool:
        """Remove a (non-owner) member if the board is still at ``version``."""
        update = {
            "$pull": {"memberIds": user_id},
            "$unset": {f"roles.{user_id}": ""},
            "$set": {"updatedAt": updated_at},
        }
        return await self._bump(board_id, version, update, event, _non_owner_member(user_id))

    async def transfer_owner(
        self,
        board_id: str,
        version: int,
        old_owner: str,
        new_owner: str,
        updated_at: datetime,
        events: tuple[EventEnvelope, EventEnvelope],
    ) -> bool:
        """Make ``new_owner`` (a member) the owner and ``old_owner`` an editor, if the board is
        still at ``version`` with ``old_owner`` as owner: one write, two versions, two events."""
        update = {
            "$set": {
                "ownerId": new_owner,
                f"roles.{new_owner}": Role.OWNER.value,
                f"roles.{old_owner}": Role.EDITOR.value,
                "updatedAt": updated_at,
            },
            "$inc": {"version": len(events)},
        }
        guard = {"ownerId": old_owner, f"roles.{new_owner}": {"$exists": True}}
        return await self._cas(
            board_id, version, with_outbox(update, *events, order=version + 1), guard
        )

    async def ids_for_member(self, user_id: str) -> list[str]:
        """The ids of every live board the user is a member of."""
        cursor = self.collection.find({"memberIds": user_id, **LIVE}, {"_id": 1})
        return [str(doc["_id"]) async for doc in cursor]

    async def co_members(self, user_id: str) -> set[str]:
        """Everyone who shares a live board with the user (the user included when they are a
        member of anything)."""
        cursor = self.collection.find({"memberIds": user_id, **LIVE}, {"memberIds": 1})
        found: set[str] = set()
        async for doc in cursor:
            found.update(str(uid) for uid in doc.get("memberIds", []))
        return found

    async def tombstone(self, board_id: str, version: int, event: EventEnvelope) -> bool:
        """Delete the board (a tombstone until ``board.deleted`` is out)."""
        update = tombstone_update(event, order=version + 1, extra_set={"version": version + 1})
        return await self._cas(board_id, version, update)

    async def set_archived(
        self,
        board_id: str,
        version: int,
        archived_at: datetime | None,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Archive (``archived_at``) or restore (``None``) the board if still at ``version``."""
        return await self._bump(board_id, version, archive_update(archived_at, updated_at), event)


def _non_owner_member(user_id: str) -> Document:
    # The owner's role is fixed: only other members may change role or leave.
    return {f"roles.{user_id}": {"$exists": True}, "ownerId": {"$ne": user_id}}


def _profile(doc: Mapping[str, Any]) -> Profile:
    return Profile(
        user_id=str(doc["_id"]), name=str(doc.get("name", "")), email=str(doc.get("email", ""))
    )


def live_id(doc_id: str) -> Document:
    """Filter for a document by id that is not a tombstone."""
    return {"_id": doc_id, **LIVE}


class UserNotKnownYet(Exception):
    """A rename arrived before the user's registration; the consumer retries it later."""


class MongoUsers:
    """The users projection, built only from ``user.registered`` and ``user.renamed`` events.

    ``{_id, email, name, nameAt}``: ``nameAt`` (epoch milliseconds of the event that set the
    name) keeps a late or replayed event from putting back an older name."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db["users"]

    async def create_indexes(self) -> None:
        """Member invitations look users up by email."""
        await self.collection.create_index([("email", ASCENDING)], unique=True, name="email")

    async def upsert(self, user_id: str, email: str, name: str, at_ms: int) -> None:
        """Record a registered user; replaying the event changes nothing, and never undoes a
        later rename (the name is only written when the document is created)."""
        await self.collection.update_one(
            {"_id": user_id},
            {"$set": {"email": email}, "$setOnInsert": {"name": name, "nameAt": at_ms}},
            upsert=True,
        )

    async def rename(self, user_id: str, name: str, at_ms: int) -> bool:
        """Take a rename made at ``at_ms`` unless a newer name is held; ``False`` when it was
        older (nothing changed). :class:`UserNotKnownYet` before the registration."""
        update = {"$set": {"name": name, "nameAt": at_ms}}
        result = await self.collection.update_one(
            {"_id": user_id, "nameAt": {"$lt": at_ms}}, update
        )
        if result.matched_count:
            return True
        # Users recorded before names carried a time have no nameAt: any rename is newer.
        result = await self.collection.update_one(
            {"_id": user_id, "nameAt": {"$exists": False}}, update
        )
        if result.matched_count:
            return True
        if not await self.exists(user_id):
            raise UserNotKnownYet(user_id)
        return False

    async def profiles(self, user_ids: Collection_[str]) -> dict[str, Profile]:
        """The known users among ``user_ids``, by id."""
        if not user_ids:
            return {}
        cursor = self.collection.find({"_id": {"$in": sorted(user_ids)}}, {"email": 1, "name": 1})
        return {str(doc["_id"]): _profile(doc) async for doc in cursor}

    async def by_email(self, email: str) -> Profile | None:
        """The user registered with this (normalised) email."""
        doc = await self.collection.find_one({"email": email}, {"email": 1, "name": 1})
        return None if doc is None else _profile(doc)

    async def exists(self, user_id: str) -> bool:
        """Whether a user with this id registered."""
        return await self.collection.find_one({"_id": user_id}, {"_id": 1}) is not None

    async def id_by_email(self, email: str) -> str | None:
        """The id of the user registered with this (normalised) email."""
        doc = await self.collection.find_one({"email": email}, {"_id": 1})
        return None if doc is None else str(doc["_id"])
