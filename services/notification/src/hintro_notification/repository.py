"""The notification service's storage in MongoDB: notifications, watches, preferences and
the projections the rules read (users, titles, tasks).

Documents::

    notifications: {_id: notification id, userId, kind, boardId, taskId, actorId, data,
                    createdAt: ms, readAt: 0 | ms, email: 0 | 1 (an immediate e-mail is
                    owed), outbox: {...notification.created...}, outboxPending}
                   (userId, createdAt desc): a user's pages; (userId, readAt): the
                   unread count; (email, createdAt): the mailer's queue
    watches:       {_id: "<userId>:<task|board>:<id>", userId, target, targetId, boardId}
    preferences:   {_id: userId, email: off|immediate|daily, digestAt: ms (last digest)}
    users:         {_id: userId, email, name, at: ms of the newest name}
    titles:        {_id: "board:<id>" | "list:<id>", boardId, title, v}
    tasks:         {_id: taskId, boardId, title, tv, assignees: {<userId>: {v, on: 0|1}},
                    dueAt: ms | 0, dv, remind: 0|1 (a due-soon reminder is owed), deleted?}
                   (remind, dueAt): the reminder poll

Every write is idempotent on its own: a notification by its derived ``_id`` (and its event
rides in its own outbox, so it is published if and only if the notification exists); the
projections by versions (per field for tasks, whose events change fields independently).
Flags that queries select on are numbers, not booleans or nulls, which behave the same on
nx-27017 and MongoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_notification.domain import EmailPreference, Kind, Notification, WatchTarget
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import LIVE, outbox_fields
from hintro_shared.events.relay import Collection, ensure_outbox_index
from hintro_shared.mongo import exactly
from hintro_shared.pagination import older_than
from hintro_shared.timeutil import rfc3339

Document = dict[str, Any]
NOTIFICATIONS = "notifications"
_HIDDEN: Document = {"outbox": 0, "outboxPending": 0}


def notification_from_doc(doc: Mapping[str, Any]) -> Notification:
    """A stored notification as the entity."""
    return Notification(
        id=str(doc["_id"]),
        user_id=doc["userId"],
        kind=Kind(doc["kind"]),
        board_id=doc.get("boardId"),
        task_id=doc.get("taskId"),
        actor_id=doc.get("actorId"),
        created_at=rfc3339(datetime.fromtimestamp(int(doc["createdAt"]) / 1000, UTC)),
        read=bool(doc.get("readAt")),
        data=dict(doc.get("data") or {}),
    )


def _older_than(base: Document, path: str, version: int) -> Document:
    """``base`` and ``path`` missing or below ``version`` (the ``$or`` inside an ``$and``:
    nx-27017 drops the siblings of a top-level ``$or`` in update filters)."""
    return {"$and": [base, {"$or": [{path: {"$exists": False}}, {path: {"$lt": version}}]}]}


class NotificationStore:
    """Notifications: written once per (source, user), read newest first."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db[NOTIFICATIONS]

    async def create_indexes(self) -> None:
        """A user's pages, the unread count, the mailer's queue, the outbox sweeper's."""
        c = self.collection
        # Not (…, _id): nx-27017 refuses inserts into a compound index holding _id; the
        # _id tie-break sorts the few notifications of one millisecond in memory.
        await c.create_index([("userId", ASCENDING), ("createdAt", DESCENDING)], name="user_page")
        await c.create_index([("userId", ASCENDING), ("readAt", ASCENDING)], name="user_unread")
        await c.create_index([("email", ASCENDING), ("createdAt", ASCENDING)], name="email_owed")
        await ensure_outbox_index(c)

    async def insert(self, doc: Document, event: EventEnvelope) -> bool:
        """Store the notification with its ``notification.created`` event; ``False`` when it
        exists already (a redelivery, a second poll)."""
        try:
            await self.collection.insert_one({**doc, **outbox_fields(event)})
        except DuplicateKeyError:
            return False
        return True

    async def page(
        self, user_id: str, limit: int, before: tuple[int, str] | None
    ) -> list[Notification]:
        """Up to ``limit`` of the user's notifications older than ``before``, newest first."""
        query: Document = older_than({"userId": exactly(user_id)}, before)
        cursor = (
            self.collection.find(query, _HIDDEN)
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [notification_from_doc(doc) async for doc in cursor]

    async def unread_count(self, user_id: str) -> int:
        return await self.collection.count_documents({"userId": exactly(user_id), "readAt": 0})

    async def mark_read(self, user_id: str, notification_id: str, now_ms: int) -> bool:
        """Mark one read (already read: unchanged); ``False`` when it is not the user's."""
        doc = await self.collection.find_one(
            {"_id": notification_id, "userId": user_id}, {"_id": 1}
        )
        if doc is None:
            return False
        await self.collection.update_one(
            {"_id": notification_id, "userId": user_id, "readAt": 0}, {"$set": {"readAt": now_ms}}
        )
        return True

    async def mark_all_read(self, user_id: str, now_ms: int) -> int:
        result = await self.collection.update_many(
            {"userId": exactly(user_id), "readAt": 0}, {"$set": {"readAt": now_ms}}
        )
        return int(result.modified_count)

    async def get(self, notification_id: str) -> Notification | None:
        doc = await self.collection.find_one({"_id": notification_id}, _HIDDEN)
        return None if doc is None else notification_from_doc(doc)

    # --- e-mail --------------------------------------------------------------------------------

    async def owed_emails(self, limit: int) -> list[Notification]:
        """Notifications whose immediate e-mail has not been sent yet, oldest first."""
        cursor = (
            self.collection.find({"email": 1}, _HIDDEN).sort("createdAt", ASCENDING).limit(limit)
        )
        return [notification_from_doc(doc) async for doc in cursor]

    async def email_sent(self, notification_id: str) -> None:
        await self.collection.update_one({"_id": notification_id}, {"$set": {"email": 0}})

    async def unread_since(self, user_id: str, since_ms: int, limit: int) -> list[Notification]:
        """The user's unread notifications created after ``since_ms`` (a digest), oldest first."""
        cursor = (
            self.collection.find(
                {"userId": exactly(user_id), "readAt": 0, "createdAt": {"$gt": since_ms}}, _HIDDEN
            )
            .sort("createdAt", ASCENDING)
            .limit(limit)
        )
        return [notification_from_doc(doc) async for doc in cursor]


class Watches:
    """Who watches which tasks and boards."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db["watches"]

    async def create_indexes(self) -> None:
        await self.collection.create_index(
            [("target", ASCENDING), ("targetId", ASCENDING)], name="target"
        )
        await self.collection.create_index(
            [("userId", ASCENDING), ("boardId", ASCENDING)], name="user_board"
        )

    @staticmethod
    def _key(user_id: str, target: WatchTarget, target_id: str) -> str:
        return f"{user_id}:{target.value}:{target_id}"

    async def watch(self, user_id: str, target: WatchTarget, target_id: str, board_id: str) -> None:
        key = self._key(user_id, target, target_id)
        doc = {
            "_id": key,
            "userId": user_id,
            "target": target.value,
            "targetId": target_id,
            "boardId": board_id,
        }
        await self.collection.replace_one({"_id": key}, doc, upsert=True)

    async def unwatch(self, user_id: str, target: WatchTarget, target_id: str) -> None:
        await self.collection.delete_one({"_id": self._key(user_id, target, target_id)})

    async def is_watching(self, user_id: str, target: WatchTarget, target_id: str) -> bool:
        key = self._key(user_id, target, target_id)
        return await self.collection.find_one({"_id": key}, {"_id": 1}) is not None

    async def watchers(self, target: WatchTarget, target_id: str) -> list[str]:
        cursor = self.collection.find(
            {"target": target.value, "targetId": target_id}, {"userId": 1}
        )
        return [doc["userId"] async for doc in cursor]

    async def forget_member(self, user_id: str, board_id: str) -> None:
        """A removed member watches nothing on the board any more."""
        await self.collection.delete_many({"userId": user_id, "boardId": board_id})

    async def forget_board(self, board_id: str) -> None:
        await self.collection.delete_many({"boardId": board_id})


class Preferences:
    """Each user's e-mail preference (default: off)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db["preferences"]

    async def create_indexes(self) -> None:
        await self.collection.create_index("email", name="email")

    async def email(self, user_id: str) -> EmailPreference:
        doc = await self.collection.find_one({"_id": user_id}, {"email": 1})
        return EmailPreference((doc or {}).get("email", EmailPreference.OFF.value))

    async def set_email(self, user_id: str, preference: EmailPreference, now_ms: int) -> None:
        # A user switching to the digest starts from now, not from every old notification.
        await self.collection.update_one(
            {"_id": user_id},
            {"$set": {"email": preference.value}, "$setOnInsert": {"digestAt": now_ms}},
            upsert=True,
        )

    async def digest_due(self, before_ms: int, limit: int) -> list[tuple[str, int]]:
        """Users on the daily digest whose last digest is older than ``before_ms``."""
        cursor = self.collection.find(
            {"email": EmailPreference.DAILY.value, "digestAt": {"$lt": before_ms}}, {"digestAt": 1}
        ).limit(limit)
        return [(doc["_id"], int(doc.get("digestAt", 0))) async for doc in cursor]

    async def claim_digest(self, user_id: str, last_ms: int, now_ms: int) -> bool:
        """Move the user's digest mark from ``last_ms`` to ``now_ms`` (compare-and-set: one
        replica sends it)."""
        result = await self.collection.update_one(
            {"_id": user_id, "digestAt": last_ms}, {"$set": {"digestAt": now_ms}}
        )
        return result.modified_count == 1


class Facts:
    """What the rules read of the other services: users, board and list titles, tasks
    (title, assignees, due date), each kept from events with version guards."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.users: Collection = db["users"]
        self.titles: Collection = db["titles"]
        self.tasks: Collection = db["tasks"]

    async def create_indexes(self) -> None:
        await self.titles.create_index("boardId", name="board")
        await self.tasks.create_index("boardId", name="board")
        await self.tasks.create_index([("remind", ASCENDING), ("dueAt", ASCENDING)], name="remind")

    async def _upsert(self, collection: Collection, query: Document, update: Document) -> None:
        try:
            await collection.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            await collection.update_one(query, update)  # exists; the guard decides

    # --- users ---------------------------------------------------------------------------------

    async def set_user(self, user_id: str, *, email: str | None, name: str, at_ms: int) -> None:
        fields: Document = {"name": name, "at": at_ms}
        if email is not None:
            fields["email"] = email
        await self._upsert(self.users, _older_than({"_id": user_id}, "at", at_ms), {"$set": fields})

    async def user(self, user_id: str) -> Document | None:
        return await self.users.find_one({"_id": user_id})

    async def names(self, user_ids: Sequence[str]) -> dict[str, str]:
        cursor = self.users.find({"_id": {"$in": list(user_ids)}}, {"name": 1})
        return {doc["_id"]: doc.get("name", "") async for doc in cursor}

    # --- titles --------------------------------------------------------------------------------

    async def set_title(self, kind: str, id_: str, board_id: str, title: str, v: int) -> None:
        query = _older_than({"_id": f"{kind}:{id_}"}, "v", v)
        await self._upsert(
            self.titles, query, {"$set": {"boardId": board_id, "title": title, "v": v}}
        )

    async def title(self, kind: str, id_: str | None) -> str | None:
        if id_ is None:
            return None
        doc = await self.titles.find_one({"_id": f"{kind}:{id_}"}, {"title": 1})
        return None if doc is None else doc.get("title")

    # --- tasks ---------------------------------------------------------------------------------

    async def set_task_title(self, task_id: str, board_id: str, title: str, v: int) -> None:
        query = _older_than({"_id": task_id}, "tv", v)
        await self._upsert(
            self.tasks, query, {"$set": {"boardId": board_id, "title": title, "tv": v}}
        )

    async def set_assignee(
        self, task_id: str, board_id: str, user_id: str, on: bool, v: int
    ) -> None:
        query = _older_than({"_id": task_id}, f"assignees.{user_id}.v", v)
        update = {"$set": {"boardId": board_id, f"assignees.{user_id}": {"v": v, "on": int(on)}}}
        await self._upsert(self.tasks, query, update)

    async def set_due(
        self, task_id: str, board_id: str, due_ms: int, complete: bool, v: int
    ) -> None:
        """A task's due date (0: none) and whether it is done; a pending date owes a reminder."""
        remind = int(due_ms > 0 and not complete)
        query = _older_than({"_id": task_id}, "dv", v)
        update = {"$set": {"boardId": board_id, "dueAt": due_ms, "dv": v, "remind": remind}}
        await self._upsert(self.tasks, query, update)

    async def set_due_complete(self, task_id: str, board_id: str, complete: bool, v: int) -> None:
        query = _older_than({"_id": task_id}, "cv", v)
        fields: Document = {"boardId": board_id, "dueComplete": int(complete), "cv": v}
        if complete:
            fields["remind"] = 0
        await self._upsert(self.tasks, query, {"$set": fields})

    async def delete_task(self, task_id: str, board_id: str) -> None:
        await self._upsert(
            self.tasks,
            {"_id": task_id},
            {"$set": {"boardId": board_id, "deleted": True, "remind": 0}},
        )

    async def task(self, task_id: str) -> Document | None:
        return await self.tasks.find_one({"_id": task_id, **LIVE})

    async def forget_board(self, board_id: str) -> None:
        await self.tasks.delete_many({"boardId": board_id})
        await self.titles.delete_many({"boardId": board_id})

    async def reminders_owed(self, horizon_ms: int, limit: int) -> list[Document]:
        """Tasks owing a reminder whose due date is at most ``horizon_ms``."""
        cursor = self.tasks.find({"remind": 1, "dueAt": {"$lte": horizon_ms}}).limit(limit)
        return [doc async for doc in cursor if not doc.get("deleted")]

    async def reminder_done(self, task_id: str, due_ms: int) -> None:
        """The reminder of this due date is out (a changed date owes a new one)."""
        await self.tasks.update_one({"_id": task_id, "dueAt": due_ms}, {"$set": {"remind": 0}})


def assignees_of(task: Mapping[str, Any] | None) -> list[str]:
    """The task's current assignees as kept in the projection."""
    entries = (task or {}).get("assignees") or {}
    return [uid for uid, entry in entries.items() if isinstance(entry, Mapping) and entry.get("on")]
