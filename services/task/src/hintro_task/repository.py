"""Tasks in MongoDB, with their events in the same document (the shared outbox).

Every change is one single-document write that carries its event(s), guarded by the task's
``version`` (compare-and-set), so the change and its event commit together and a concurrent
writer never overwrites a newer state. Deletion turns the task into a tombstone that the relay
removes once its ``task.deleted`` is out; readers skip tombstones.

The unique index on (listId, position) makes two tasks at the same place impossible: a write
that collides raises :class:`PositionTaken` and the use case picks another key.
"""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.idempotency import trim_applied
from hintro_shared.events.outbox import (
    DELETED,
    LIVE,
    PENDING,
    outbox_fields,
    tombstone_update,
    with_outbox,
)
from hintro_shared.mongo import exactly
from hintro_shared.timeutil import rfc3339, stored_time
from hintro_task.domain import (
    Checklist,
    ChecklistItem,
    Comment,
    EventContext,
    ImportedFrom,
    PositionTaken,
    Progress,
    Task,
    TaskEvent,
)

Document = dict[str, Any]
SOURCE = "hintro/task"
# Per task: the comment operations already counted (marker -> time in ns), the newest kept.
COMMENT_MARKS = "commentMarks"
MARKS_KEPT = 100
# Only what a Task needs: never the outbox entries.
TASK_FIELDS: Document = {
    "boardId": 1,
    "listId": 1,
    "title": 1,
    "description": 1,
    "position": 1,
    "assigneeIds": 1,
    "labelIds": 1,
    "startDate": 1,
    "dueDate": 1,
    "dueComplete": 1,
    "createdBy": 1,
    "createdAt": 1,
    "updatedAt": 1,
    "version": 1,
    "checklistProgress": 1,
    "commentCount": 1,
    "archived": 1,
    "archivedAt": 1,
    "archivedWithList": 1,
}
# Archived tasks keep their document and their place (the unique index holds it, so a restore
# to the same list finds it free); normal reads add this fragment (``$nin`` as LIVE does).
NOT_ARCHIVED: Document = {"archived": {"$nin": [True]}}
_POSITION_ONLY: Document = {"position": 1, "_id": 0}


def _to_document(task: Task) -> Document:
    # Times are stored as fixed-width RFC 3339 strings (millisecond precision, "Z"): they sort
    # like the instants they name, and nx-27017 0.8.1 would turn a top-level datetime written
    # by $set into a zone-less string.
    return {
        "boardId": task.board_id,
        "listId": task.list_id,
        "title": task.title,
        "description": task.description,
        "position": task.position,
        # Arrays of strings are $set whole (nx-27017 mangles $push).
        "assigneeIds": list(task.assignee_ids),
        "labelIds": list(task.label_ids),
        "startDate": None if task.start_date is None else rfc3339(task.start_date),
        "dueDate": None if task.due_date is None else rfc3339(task.due_date),
        # 0/1, not a boolean: nx-27017 mangles booleans written by $set.
        "dueComplete": 1 if task.due_complete else 0,
        "createdBy": task.created_by,
        "createdAt": rfc3339(task.created_at),
        "updatedAt": rfc3339(task.updated_at),
        "version": task.version,
        "archived": task.archived_at is not None,
        "archivedAt": None if task.archived_at is None else rfc3339(task.archived_at),
        "archivedWithList": task.archived_with_list,
        # Safe to write with every compare-and-set: each change of the count raises the version.
        "commentCount": task.comment_count,
    }


def _to_task(doc: Document) -> Task:
    return Task(
        id=doc["_id"],
        board_id=doc["boardId"],
        list_id=doc["listId"],
        title=doc["title"],
        description=doc.get("description", ""),
        position=doc["position"],
        assignee_ids=tuple(doc.get("assigneeIds") or ()),
        label_ids=tuple(doc.get("labelIds") or ()),
        start_date=None if doc.get("startDate") is None else stored_time(doc["startDate"]),
        due_date=None if doc.get("dueDate") is None else stored_time(doc["dueDate"]),
        due_complete=bool(doc.get("dueComplete")),
        created_by=doc["createdBy"],
        created_at=stored_time(doc["createdAt"]),
        updated_at=stored_time(doc["updatedAt"]),
        version=doc["version"],
        checklist_progress=_to_progress(doc.get("checklistProgress")),
        archived_at=None if doc.get("archivedAt") is None else stored_time(doc["archivedAt"]),
        archived_with_list=bool(doc.get("archivedWithList", False)),
        comment_count=int(doc.get("commentCount") or 0),
    )


# --- checklists (in the task document) --------------------------------------------------------
#
#   checklists: [{id, title, position, items: [{id, text, done, position, assigneeId, dueDate}]}]
#   checklistProgress: {done, total}
#
# Both are $set whole by the write that changes them, guarded by the task's version.

_CHECKLIST_FIELDS: Document = {**TASK_FIELDS, "checklists": 1}


def _to_progress(doc: Any) -> Progress:
    if not isinstance(doc, dict):
        return Progress(0, 0)
    return Progress(done=int(doc.get("done", 0)), total=int(doc.get("total", 0)))


def _checklists_document(checklists: tuple[Checklist, ...]) -> list[Document]:
    return [
        {
            "id": checklist.id,
            "title": checklist.title,
            "position": checklist.position,
            "items": [
                {
                    "id": item.id,
                    "text": item.text,
                    "done": item.done,
                    "position": item.position,
                    "assigneeId": item.assignee_id,
                    "dueDate": None if item.due_date is None else rfc3339(item.due_date),
                }
                for item in checklist.items
            ],
        }
        for checklist in checklists
    ]


def _to_checklists(docs: Any) -> tuple[Checklist, ...]:
    return tuple(
        Checklist(
            id=doc["id"],
            title=doc["title"],
            position=doc["position"],
            items=tuple(
                ChecklistItem(
                    id=item["id"],
                    text=item["text"],
                    done=bool(item.get("done")),
                    position=item["position"],
                    assignee_id=item.get("assigneeId"),
                    due_date=None if item.get("dueDate") is None else stored_time(item["dueDate"]),
                )
                for item in doc.get("items") or ()
            ),
        )
        for doc in docs or ()
    )


class TaskRepository:
    """The ``tasks`` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["tasks"]

    async def create_indexes(self) -> None:
        """Indexes for uniqueness of places, the ordered listing, and the cascades."""
        await self.collection.create_index(
            [("listId", ASCENDING), ("position", ASCENDING)], unique=True, name="list_position"
        )
        await self.collection.create_index(
            [("boardId", ASCENDING), ("listId", ASCENDING), ("position", ASCENDING)],
            name="board_list_position",
        )
        await self.collection.create_index([("boardId", ASCENDING)], name="board")

    def _envelope(self, task: Task, event: TaskEvent, ctx: EventContext) -> EventEnvelope:
        return new_event(
            event.type,
            source=SOURCE,
            data=event.data,
            board_id=task.board_id,
            actor_id=ctx.actor_id,
            correlation_id=ctx.correlation_id,
            origin_socket_id=ctx.origin_socket_id,
        )

    # --- reads ---------------------------------------------------------------------------------

    async def get(self, task_id: str) -> Task | None:
        """The task (archived or not; never a deleted one), or ``None``."""
        doc = await self.collection.find_one({"_id": task_id, **LIVE}, TASK_FIELDS)
        return None if doc is None else _to_task(doc)

    async def _position(self, query: Document, direction: int, exclude: str | None) -> str | None:
        if exclude is not None:
            query = {**query, "_id": {"$ne": exclude}}
        doc = await self.collection.find_one(
            {**query, **LIVE, **NOT_ARCHIVED}, _POSITION_ONLY, sort=[("position", direction)]
        )
        return None if doc is None else str(doc["position"])

    async def last_position(self, list_id: str, *, exclude: str | None = None) -> str | None:
        """The position of the list's last task (ignoring ``exclude``)."""
        return await self._position({"listId": exactly(list_id)}, DESCENDING, exclude)

    async def position_after(
        self, list_id: str, position: str, *, exclude: str | None = None
    ) -> str | None:
        """The position of the task right after ``position`` in the list, if any."""
        return await self._position(
            {"listId": exactly(list_id), "position": {"$gt": position}}, ASCENDING, exclude
        )

    async def position_before(
        self, list_id: str, position: str, *, exclude: str | None = None
    ) -> str | None:
        """The position of the task right before ``position`` in the list, if any."""
        return await self._position(
            {"listId": exactly(list_id), "position": {"$lt": position}}, DESCENDING, exclude
        )

    async def of_board(self, board_id: str) -> list[Task]:
        """Every live task of the board, by list id then position (one scan of the
        (boardId, listId, position) index); the caller puts the lists in board order."""
        cursor = self.collection.find(
            {"boardId": exactly(board_id), **LIVE, **NOT_ARCHIVED}, TASK_FIELDS
        ).sort([("listId", ASCENDING), ("position", ASCENDING)])
        return [_to_task(doc) async for doc in cursor]

    async def archived_of_board(self, board_id: str) -> list[Task]:
        """The board's archived tasks, the most recently archived first."""
        query = {"boardId": exactly(board_id), **LIVE, "archived": True}
        cursor = self.collection.find(query, TASK_FIELDS)
        tasks = [_to_task(doc) async for doc in cursor]
        return sorted(tasks, key=lambda task: (task.archived_at, task.id), reverse=True)

    async def active_of_list(self, list_id: str) -> list[Task]:
        """The list's tasks that are not archived (archiving the list archives them)."""
        query = {"listId": exactly(list_id), **LIVE, **NOT_ARCHIVED}
        return [_to_task(doc) async for doc in self.collection.find(query, TASK_FIELDS)]

    async def archived_with_list(self, list_id: str) -> list[Task]:
        """The list's tasks archived because the list was (restoring it restores them)."""
        query = {"listId": exactly(list_id), **LIVE, "archived": True, "archivedWithList": True}
        return [_to_task(doc) async for doc in self.collection.find(query, TASK_FIELDS)]

    async def live_of_list(self, list_id: str) -> list[Task]:
        """The tasks of a list, archived ones included (a cascade deletes them one by one)."""
        return [
            _to_task(doc)
            async for doc in self.collection.find({"listId": exactly(list_id), **LIVE}, TASK_FIELDS)
        ]

    async def live_of_board(self, board_id: str) -> list[Task]:
        """The tasks of a board, archived ones included (a cascade deletes them one by one)."""
        query = {"boardId": exactly(board_id), **LIVE}
        return [_to_task(doc) async for doc in self.collection.find(query, TASK_FIELDS)]

    async def page(self, list_id: str, after_position: str | None, limit: int) -> list[Task]:
        """Up to ``limit`` tasks of the list in order, after ``after_position`` (an index
        range scan on (listId, position); no skip)."""
        query: Document = {"listId": exactly(list_id), **LIVE, **NOT_ARCHIVED}
        if after_position is not None:
            query["position"] = {"$gt": after_position}
        cursor = (
            self.collection.find(query, TASK_FIELDS).sort([("position", ASCENDING)]).limit(limit)
        )
        return [_to_task(doc) async for doc in cursor]

    async def assigned_on_board(self, board_id: str, user_id: str) -> list[Task]:
        """The board's live tasks ``user_id`` is assigned to."""
        cursor = self.collection.find(
            {"boardId": exactly(board_id), "assigneeIds": user_id, **LIVE}, TASK_FIELDS
        )
        return [_to_task(doc) async for doc in cursor]

    async def labelled_on_board(self, board_id: str, label_id: str) -> list[Task]:
        """The board's live tasks that carry ``label_id``."""
        cursor = self.collection.find(
            {"boardId": exactly(board_id), "labelIds": label_id, **LIVE}, TASK_FIELDS
        )
        return [_to_task(doc) async for doc in cursor]

    # --- writes --------------------------------------------------------------------------------

    async def seed(self, tasks: list[Task]) -> None:
        """Store new tasks as they are, without events: the benchmark's bulk seeding, never a
        use case (nothing else learns of them; the search index is filled alongside)."""
        if tasks:
            await self.collection.insert_many(
                [{"_id": task.id, **_to_document(task)} for task in tasks], ordered=False
            )

    async def insert(self, task: Task, event: TaskEvent, ctx: EventContext) -> EventEnvelope:
        """Store a new task with its event (returned, for the outbox's fast path);
        :class:`PositionTaken` if its place is held."""
        envelope = self._envelope(task, event, ctx)
        doc = {"_id": task.id, **_to_document(task), **outbox_fields(envelope, order=task.version)}
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise PositionTaken(task.position) from exc
        return envelope

    async def save(
        self, task: Task, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool:
        """Write ``task``'s state and its event if the stored version is still
        ``expected_version``; ``False`` when it is not (or the task is gone).
        :class:`PositionTaken` if its new place is held."""
        envelope = self._envelope(task, event, ctx)
        state = _to_document(task)
        del state["createdBy"], state["createdAt"], state["boardId"]
        update = with_outbox({"$set": state}, envelope, order=task.version)
        try:
            result = await self.collection.update_one(
                {"_id": task.id, "version": expected_version, **LIVE}, update
            )
        except DuplicateKeyError as exc:
            raise PositionTaken(task.position) from exc
        return result.matched_count != 0

    async def delete(
        self, task: Task, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool:
        """Tombstone the task with its ``task.deleted`` if still at ``expected_version``."""
        envelope = self._envelope(task, event, ctx)
        update = tombstone_update(
            envelope,
            order=task.version,
            extra_set={"version": task.version, "updatedAt": rfc3339(task.updated_at)},
        )
        result = await self.collection.update_one(
            {"_id": task.id, "version": expected_version, **LIVE}, update
        )
        return result.matched_count != 0

    # --- comment counts (see the comments section of hintro_task.domain) ------------------------

    async def comment_counted(self, task_id: str, marker: str) -> bool:
        """Whether the comment operation ``marker`` is already counted in the task."""
        doc = await self.collection.find_one(
            {"_id": task_id, f"{COMMENT_MARKS}.{marker}": {"$exists": True}}, {"_id": 1}
        )
        return doc is not None

    async def count_comment(
        self, task: Task, expected_version: int, marker: str, event: TaskEvent, ctx: EventContext
    ) -> bool:
        """Write ``task``'s new comment count and version with the comment event, once per
        ``marker``, if the live task is still at ``expected_version``."""
        envelope = self._envelope(task, event, ctx)
        update = with_outbox(
            {
                "$set": {
                    "version": task.version,
                    "commentCount": task.comment_count,
                    f"{COMMENT_MARKS}.{marker}": time.time_ns(),
                }
            },
            envelope,
            order=task.version,
        )
        result = await self.collection.update_one(
            {
                "_id": task.id,
                "version": expected_version,
                f"{COMMENT_MARKS}.{marker}": {"$exists": False},
                **LIVE,
            },
            update,
        )
        if result.matched_count == 0:
            return False
        # A marker is needed only until its comment's pending flag is cleared (moments later).
        await trim_applied(self.collection, {"_id": task.id}, MARKS_KEPT, field=COMMENT_MARKS)
        return True

    async def drop_drained(self, *, list_id: str | None = None, board_id: str | None = None) -> int:
        """Remove the tasks of a list or board that are tombstones with no event waiting
        (the relay removes the others once their events are out)."""
        query: Document = (
            {"listId": exactly(list_id)}
            if list_id is not None
            else {"boardId": exactly(board_id or "")}
        )
        result = await self.collection.delete_many({**query, DELETED: True, PENDING: {"$lte": 0}})
        return result.deleted_count

    # --- checklists ------------------------------------------------------------------------------

    async def get_with_checklists(self, task_id: str) -> tuple[Task, tuple[Checklist, ...]] | None:
        """The live task and its checklists (in stored order), or ``None``."""
        doc = await self.collection.find_one({"_id": task_id, **LIVE}, _CHECKLIST_FIELDS)
        return None if doc is None else (_to_task(doc), _to_checklists(doc.get("checklists")))

    async def save_checklists(
        self,
        task: Task,
        checklists: tuple[Checklist, ...],
        expected_version: int,
        event: TaskEvent,
        ctx: EventContext,
    ) -> bool:
        """Write the task's checklists, progress, version and ``updatedAt`` with the event if
        the stored version is still ``expected_version``; ``False`` otherwise."""
        envelope = self._envelope(task, event, ctx)
        state: Document = {
            "checklists": _checklists_document(checklists),
            "checklistProgress": {
                "done": task.checklist_progress.done,
                "total": task.checklist_progress.total,
            },
            "version": task.version,
            "updatedAt": rfc3339(task.updated_at),
        }
        update = with_outbox({"$set": state}, envelope, order=task.version)
        result = await self.collection.update_one(
            {"_id": task.id, "version": expected_version, **LIVE}, update
        )
        return result.matched_count != 0


# --- comments -------------------------------------------------------------------------------------

COMMENT_FIELDS: Document = {
    "taskId": 1,
    "boardId": 1,
    "authorId": 1,
    "text": 1,
    "mentions": 1,
    "createdAt": 1,
    "updatedAt": 1,
    "version": 1,
    "imported": 1,
}
PENDING_OP = "pending"
PENDING_SINCE = "pendingSince"
PENDING_CTX = "pendingCtx"
# Comments anyone may see: not pending (being posted or deleted) and not a tombstone.
SETTLED: Document = {PENDING_OP: {"$exists": False}, **LIVE}


def _comment_document(comment: Comment) -> Document:
    return {
        "taskId": comment.task_id,
        "boardId": comment.board_id,
        "authorId": comment.author_id,
        "text": comment.text,
        "mentions": list(comment.mentions),
        "createdAt": rfc3339(comment.created_at),
        "updatedAt": rfc3339(comment.updated_at),
        "version": comment.version,
        **(
            {}
            if comment.imported is None
            else {
                "imported": {
                    "authorName": comment.imported.author_name,
                    "createdAt": rfc3339(comment.imported.created_at),
                }
            }
        ),
    }


def _imported(doc: Document) -> ImportedFrom | None:
    found = doc.get("imported")
    if not isinstance(found, dict):
        return None
    return ImportedFrom(str(found["authorName"]), stored_time(found["createdAt"]))


def _to_comment(doc: Document) -> Comment:
    return Comment(
        imported=_imported(doc),
        id=doc["_id"],
        task_id=doc["taskId"],
        board_id=doc["boardId"],
        author_id=doc["authorId"],
        text=doc["text"],
        mentions=tuple(doc.get("mentions") or ()),
        created_at=stored_time(doc["createdAt"]),
        updated_at=stored_time(doc["updatedAt"]),
        version=doc["version"],
    )


def _context_document(ctx: EventContext) -> Document:
    return {
        "actorId": ctx.actor_id,
        "correlationId": ctx.correlation_id,
        "originSocketId": ctx.origin_socket_id,
    }


class CommentRepository:
    """The ``comments`` collection: one document per comment; its ``comment.updated`` events
    in its outbox; ``pending`` (``create`` or ``delete``) while its task's count is not yet
    written, with ``pendingSince`` and the operation's event context for the healer."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["comments"]

    async def create_indexes(self) -> None:
        """A task's comments newest first, the cascades by task and board, the healer's scan."""
        # Not (..., _id): nx-27017 cannot insert into an index that names _id (see the
        # conformance tests); ties of createdAt are few, sorted by _id after the range scan.
        await self.collection.create_index(
            [("taskId", ASCENDING), ("createdAt", DESCENDING)], name="task_created"
        )
        await self.collection.create_index([("boardId", ASCENDING)], name="board")
        await self.collection.create_index(
            [(PENDING_SINCE, ASCENDING)], name="pending_since", sparse=True
        )

    async def get(self, comment_id: str) -> Comment | None:
        """The comment, unless it is pending or deleted."""
        doc = await self.collection.find_one({"_id": comment_id, **SETTLED}, COMMENT_FIELDS)
        return None if doc is None else _to_comment(doc)

    async def page(self, task_id: str, after: tuple[str, str] | None, limit: int) -> list[Comment]:
        """Up to ``limit`` of the task's comments, newest first, after the cursor's
        (createdAt, id)."""
        query: Document = {"taskId": task_id, **SETTLED}
        if after is not None:
            created_at, comment_id = after
            query["$or"] = [
                {"createdAt": {"$lt": created_at}},
                {"createdAt": created_at, "_id": {"$lt": comment_id}},
            ]
        cursor = (
            self.collection.find(query, COMMENT_FIELDS)
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_to_comment(doc) async for doc in cursor]

    async def insert_pending(self, comment: Comment, ctx: EventContext, since: str) -> None:
        """Store a new comment, pending until its task counts it."""
        await self.collection.insert_one(
            {
                "_id": comment.id,
                **_comment_document(comment),
                PENDING_OP: "create",
                PENDING_SINCE: since,
                PENDING_CTX: _context_document(ctx),
                "outboxPending": 0,
            }
        )

    async def mark_deleting(self, comment: Comment, ctx: EventContext, since: str) -> bool:
        """Flag the comment as being deleted if it is still at its version (and settled)."""
        result = await self.collection.update_one(
            {"_id": comment.id, "version": comment.version, **SETTLED},
            {
                "$set": {
                    PENDING_OP: "delete",
                    PENDING_SINCE: since,
                    PENDING_CTX: _context_document(ctx),
                }
            },
        )
        return result.matched_count != 0

    async def settle(self, comment_id: str) -> None:
        """The task counted the new comment: show it."""
        await self.collection.update_one(
            {"_id": comment_id, PENDING_OP: "create"},
            {"$unset": {PENDING_OP: "", PENDING_SINCE: "", PENDING_CTX: ""}},
        )

    async def remove(self, comment_id: str) -> None:
        """Delete the comment: at once when no event of it waits, else as a tombstone the
        relay removes once its events are out."""
        await self.collection.update_one(
            {"_id": comment_id},
            {
                "$set": {DELETED: True},
                "$unset": {PENDING_OP: "", PENDING_SINCE: "", PENDING_CTX: ""},
            },
        )
        await self.collection.delete_one({"_id": comment_id, PENDING: {"$lte": 0}})

    async def save_text(
        self, comment: Comment, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool:
        """Write the edited text and mentions with ``comment.updated`` if the settled comment
        is still at ``expected_version``."""
        envelope = new_event(
            event.type,
            source=SOURCE,
            data=event.data,
            board_id=comment.board_id,
            actor_id=ctx.actor_id,
            correlation_id=ctx.correlation_id,
            origin_socket_id=ctx.origin_socket_id,
        )
        update = with_outbox(
            {
                "$set": {
                    "text": comment.text,
                    "mentions": list(comment.mentions),
                    "updatedAt": rfc3339(comment.updated_at),
                    "version": comment.version,
                }
            },
            envelope,
            order=comment.version,
        )
        result = await self.collection.update_one(
            {"_id": comment.id, "version": expected_version, **SETTLED}, update
        )
        return result.matched_count != 0

    async def pending_before(
        self, cutoff: str, limit: int
    ) -> list[tuple[Comment, str, EventContext]]:
        """Comments pending since before ``cutoff`` (RFC 3339): each with its operation and
        the event context it was started with."""
        cursor = self.collection.find(
            {PENDING_SINCE: {"$lt": cutoff}},
            {**COMMENT_FIELDS, PENDING_OP: 1, PENDING_CTX: 1},
        ).limit(limit)
        found: list[tuple[Comment, str, EventContext]] = []
        async for doc in cursor:
            ctx = doc.get(PENDING_CTX) or {}
            found.append(
                (
                    _to_comment(doc),
                    str(doc.get(PENDING_OP)),
                    EventContext(
                        actor_id=ctx.get("actorId"),
                        correlation_id=ctx.get("correlationId"),
                        origin_socket_id=ctx.get("originSocketId"),
                    ),
                )
            )
        return found

    async def delete_of_task(self, task_id: str) -> int:
        """Remove every comment of a deleted task (no event each: ``task.deleted`` says it)."""
        result = await self.collection.delete_many({"taskId": task_id})
        return result.deleted_count

    async def delete_of_board(self, board_id: str) -> int:
        """Remove every comment of a deleted board."""
        result = await self.collection.delete_many({"boardId": exactly(board_id)})
        return result.deleted_count
