"""The task use cases, over small interfaces (a task store, the projection, the board service).

Each use case authorizes first (non-members 404, viewers 403 on writes, via the shared
capability table), checks the rules (:class:`RuleBroken`, nothing written), then makes exactly one
single-document write that carries its event. Writes are compare-and-set on the task's version
and placements retry on a position collision, so concurrent requests never lose an update or
end up at the same place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from hintro_shared import jsonutil
from hintro_shared.authz import Action, Role, can
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.fastpath import Outbox, SweeperOnly
from hintro_shared.ids import new_id
from hintro_shared.readcache import Lookup
from hintro_shared.refusals import (
    Conflict,
    Forbidden,
    IdTaken,
    NotFound,
    PreconditionFailed,
    RuleBroken,
)
from hintro_shared.timeutil import rfc3339, to_millis
from hintro_task.access import BoardAccess, BoardDirectory, Caller, ProjectionReader
from hintro_task.cache import BoardTasks, encode_entry
from hintro_task.domain import (
    ASSIGNEES_MAX,
    CHECKLIST_ITEMS_MAX,
    CHECKLISTS_MAX,
    PENDING_CREATE,
    PENDING_DELETE,
    Checklist,
    ChecklistItem,
    Comment,
    EventContext,
    ForeignLabel,
    ImportedFrom,
    ListRef,
    Placement,
    PositionTaken,
    Task,
    TaskEvent,
    archived_event,
    assignment_event,
    by_position,
    changed_fields,
    check_dates,
    checklist_created_event,
    checklist_deleted_event,
    checklist_updated_event,
    comment_created_event,
    comment_cursor,
    comment_deleted_event,
    comment_marker,
    comment_updated_event,
    created_event,
    decode_comment_cursor,
    deleted_event,
    event_context,
    is_safe_id,
    item_created_event,
    item_deleted_event,
    item_moved_event,
    item_updated_event,
    mentioned_ids,
    moved_event,
    now,
    place_among,
    progress_of,
    restored_event,
    unique_in_order,
    updated_event,
)
from hintro_task.listing import list_page
from hintro_task.schemas import task_json
from hintro_task.searching import Filterable, TaskFilter, matches


def filterable(task: Task) -> Filterable:
    """What the board filter reads of a task."""
    return Filterable(
        title=task.title,
        description=task.description,
        label_ids=task.label_ids,
        assignee_ids=task.assignee_ids,
        due_date=task.due_date,
        due_complete=task.due_complete,
        archived=task.archived_at is not None,
    )


# Without a fast path (unit tests) the relay's sweeper publishes the events.
_SWEEPER_ONLY = SweeperOnly()

# Attempts at a contended write (version race or position collision) before giving up with 409.
MAX_ATTEMPTS = 16
# Tasks a cascade deletes at once (each is its own compare-and-set write carrying its event).
CASCADE_CONCURRENCY = 16


class TaskStore(Protocol):
    """Where tasks live (see ``TaskRepository``)."""

    async def get(self, task_id: str) -> Task | None: ...

    async def last_position(self, list_id: str, *, exclude: str | None = None) -> str | None: ...

    async def position_after(
        self, list_id: str, position: str, *, exclude: str | None = None
    ) -> str | None: ...

    async def position_before(
        self, list_id: str, position: str, *, exclude: str | None = None
    ) -> str | None: ...

    async def page(self, list_id: str, after_position: str | None, limit: int) -> list[Task]: ...

    async def of_board(self, board_id: str) -> list[Task]: ...

    async def live_of_list(self, list_id: str) -> list[Task]: ...

    async def live_of_board(self, board_id: str) -> list[Task]: ...

    async def archived_of_board(self, board_id: str) -> list[Task]: ...

    async def active_of_list(self, list_id: str) -> list[Task]: ...

    async def archived_with_list(self, list_id: str) -> list[Task]: ...

    async def assigned_on_board(self, board_id: str, user_id: str) -> list[Task]: ...

    async def labelled_on_board(self, board_id: str, label_id: str) -> list[Task]: ...

    async def drop_drained(
        self, *, list_id: str | None = None, board_id: str | None = None
    ) -> int: ...

    async def insert(
        self, task: Task, event: TaskEvent, ctx: EventContext
    ) -> EventEnvelope | None: ...

    async def save(
        self, task: Task, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool: ...

    async def delete(
        self, task: Task, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool: ...

    async def get_with_checklists(
        self, task_id: str
    ) -> tuple[Task, tuple[Checklist, ...]] | None: ...

    async def save_checklists(
        self,
        task: Task,
        checklists: tuple[Checklist, ...],
        expected_version: int,
        event: TaskEvent,
        ctx: EventContext,
    ) -> bool: ...


class TasksCache(Protocol):
    """Every task of a board, compressed, by board (see :mod:`hintro_task.cache`)."""

    async def get(self, board_id: str) -> Lookup[BoardTasks]: ...

    async def put(self, board_id: str, generation: str | None, entry: bytes) -> None: ...

    async def invalidate(self, board_id: str) -> None: ...


class NoCache:
    """A :class:`TasksCache` that holds nothing (every read goes to MongoDB)."""

    async def get(self, board_id: str) -> Lookup[BoardTasks]:
        return Lookup(hit=None, generation=None)

    async def put(self, board_id: str, generation: str | None, entry: bytes) -> None:
        return None

    async def invalidate(self, board_id: str) -> None:
        return None


def _contended() -> Conflict:
    return Conflict("The task is being changed concurrently; retry.")


def _unknown_list(loc: tuple[str, ...]) -> RuleBroken:
    return RuleBroken(loc, "no such list on this board")


@dataclass(frozen=True)
class ChecklistChange:
    """What a checklist use case makes of a task's checklists: the new checklists, the event
    (built from the task as changed), and the id of what it created, if anything."""

    checklists: tuple[Checklist, ...]
    event: Callable[[Task], TaskEvent]
    created_id: str | None = None


@dataclass(frozen=True)
class TaskDetail:
    """A task with its checklists (in display order), and the id a create made."""

    task: Task
    checklists: tuple[Checklist, ...]
    created_id: str | None = None


def _archived() -> Conflict:
    return Conflict("The task is archived; restore it before changing it.")


def _not_archived() -> Conflict:
    return Conflict(
        "Only an archived task can be deleted permanently; archive it first "
        "(POST /api/tasks/{taskId}/archive)."
    )


def _list_unavailable(reason: str) -> RuleBroken:
    """Restoring a task to a list that is archived (``list_archived``) or deleted
    (``list_deleted``): the client may name another list (``listId``)."""
    state = "archived" if reason == "list_archived" else "deleted"
    return RuleBroken(
        ("body", "listId"),
        f"the task's list is {state}",
        type_=reason,
        detail=f"The task's list is {state}; restore the list first or choose another list "
        "to restore the task to (listId).",
    )


class CommentCascade(Protocol):
    """Removing the comments of deleted tasks and boards (see ``CommentRepository``)."""

    async def delete_of_task(self, task_id: str) -> int: ...

    async def delete_of_board(self, board_id: str) -> int: ...


class NoComments:
    """A :class:`CommentCascade` for a store without comments (unit tests)."""

    async def delete_of_task(self, task_id: str) -> int:
        return 0

    async def delete_of_board(self, board_id: str) -> int:
        return 0


class TaskService:
    """Create, read, edit, move, assign and delete tasks, and their checklists."""

    def __init__(
        self,
        tasks: TaskStore,
        projection: ProjectionReader,
        directory: BoardDirectory,
        cache: TasksCache | None = None,
        *,
        comments: CommentCascade | None = None,
        outbox: Outbox = _SWEEPER_ONLY,
        new_id: Callable[[], str] = new_id,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self._tasks = tasks
        self._projection = projection
        self._directory = directory
        self._cache: TasksCache = cache or NoCache()
        self._comments: CommentCascade = comments or NoComments()
        self._outbox = outbox
        self._new_id = new_id
        self._clock = clock

    def access(self, board_id: str, caller: Caller) -> BoardAccess:
        """The caller's access to a board for this request."""
        return BoardAccess(board_id, caller, self._projection, self._directory)

    async def _load(self, caller: Caller, task_id: str, action: Action) -> tuple[Task, BoardAccess]:
        task = await self._tasks.get(task_id) if is_safe_id(task_id) else None
        if task is None:
            raise NotFound("task")
        access = self.access(task.board_id, caller)
        await access.authorize(action, what="task")
        return task, access

    async def _placement(
        self,
        list_id: str,
        after_id: str | None,
        before_id: str | None,
        moving: str | None = None,
    ) -> Placement:
        """Where a task goes in ``list_id``: after ``after_id`` / before ``before_id`` (tasks of
        that list), at the end without anchors. ``moving`` is the task being placed."""
        if moving is not None and moving in (after_id, before_id):
            raise RuleBroken(
                ("body", "afterId" if moving == after_id else "beforeId"),
                "a task cannot be placed next to itself",
            )
        after = await self._anchor(list_id, after_id, "afterId")
        before = await self._anchor(list_id, before_id, "beforeId")
        if after is not None:
            if before is not None and not after.position < before.position:
                raise RuleBroken(("body", "beforeId"), "beforeId must come after afterId")
            upper = await self._tasks.position_after(list_id, after.position, exclude=moving)
            return Placement(after.position, upper)
        if before is not None:
            lower = await self._tasks.position_before(list_id, before.position, exclude=moving)
            return Placement(lower, before.position)
        return Placement(await self._tasks.last_position(list_id, exclude=moving), None)

    async def _anchor(self, list_id: str, anchor_id: str | None, name: str) -> Task | None:
        if anchor_id is None:
            return None
        anchor = await self._tasks.get(anchor_id)
        if anchor is None or anchor.list_id != list_id or anchor.archived_at is not None:
            raise RuleBroken(("body", name), "the anchor must be a task in the target list")
        return anchor

    async def _target_list(self, access: BoardAccess, list_id: str) -> ListRef:
        ref = await access.list_on_board(list_id)
        if ref is None:
            raise _unknown_list(("body", "listId"))
        return ref

    async def _check_labels(self, access: BoardAccess, label_ids: list[str]) -> None:
        """Every id must name a live label of the task's board (422 at the first that does
        not)."""
        foreign = await access.foreign_labels(list(unique_in_order(label_ids)))
        if foreign:
            raise ForeignLabel(label_ids.index(foreign[0]))

    async def _ensure_list_alive(self, caller: Caller, list_id: str) -> None:
        # A list.deleted may have been consumed between our check and our write; its cascade
        # then missed this task, so repeat the (idempotent) cascade now.
        ref = await self._projection.get_list(list_id)
        if ref is not None and ref.deleted:
            await self.delete_list_tasks(list_id, event_context(caller))
            raise _unknown_list(("body", "listId"))
        if ref is not None and ref.archived:
            # Likewise an archive: this task follows its list into the archive.
            await self.archive_list_tasks(list_id, event_context(caller))
            raise _unknown_list(("body", "listId"))

    # --- use cases -----------------------------------------------------------------------------

    async def given_task(self, caller: Caller, board_id: str, task_id: str) -> Task | None:
        """Create-if-absent: the task a create naming ``task_id`` on this board made before,
        ``None`` when there is none; ``IdTaken`` when the id is used elsewhere."""
        await self.access(board_id, caller).authorize(Action.EDIT_TASKS)
        task = await self._tasks.get(task_id)
        if task is None:
            return None
        if task.board_id != board_id:
            raise IdTaken("task")
        return task

    async def create_task(self, caller: Caller, board_id: str, fields: dict[str, Any]) -> Task:
        """A new task in one of the board's lists (at the end unless anchored; ``id``: a
        client-chosen id, see :meth:`given_task`)."""
        access = self.access(board_id, caller)
        await access.authorize(Action.EDIT_TASKS)
        ref = await self._target_list(access, fields["listId"])
        requested_assignees: list[str] = fields.get("assigneeIds", [])
        for index, user_id in enumerate(requested_assignees):
            if not await access.is_member(user_id):
                raise RuleBroken(("body", "assigneeIds", str(index)), "not a board member")
        assignees = unique_in_order(requested_assignees)
        label_ids = unique_in_order(fields.get("labelIds", []))
        await self._check_labels(access, fields.get("labelIds", []))
        at = self._clock()
        due = fields.get("dueDate")
        start = fields.get("startDate")
        start = None if start is None else to_millis(start)
        due = None if due is None else to_millis(due)
        check_dates(start, due, "startDate")
        for _ in range(MAX_ATTEMPTS):
            placement = await self._placement(ref.id, fields.get("afterId"), fields.get("beforeId"))
            task = Task(
                id=fields.get("id") or self._new_id(),
                board_id=board_id,
                list_id=ref.id,
                title=fields["title"],
                description=fields.get("description", ""),
                position=placement.new_position(),
                assignee_ids=assignees,
                label_ids=label_ids,
                start_date=start,
                due_date=due,
                due_complete=bool(fields.get("dueComplete", False)),
                created_by=caller.user_id,
                created_at=at,
                updated_at=at,
                version=1,
            )
            try:
                envelope = await self._tasks.insert(
                    task, created_event(task), event_context(caller)
                )
            except PositionTaken:
                continue
            # A new document: its one event is all it holds, no need to read it back.
            self._outbox.written(task.id, None if envelope is None else [envelope])
            await self._cache.invalidate(board_id)
            await self._ensure_list_alive(caller, ref.id)
            return task
        raise _contended()

    async def get_task(self, caller: Caller, task_id: str) -> Task:
        """One task (members only)."""
        task, _ = await self._load(caller, task_id, Action.READ)
        return task

    async def update_task(
        self,
        caller: Caller,
        task_id: str,
        requested: dict[str, Any],
        expected_version: int | None,
    ) -> Task:
        """Edit title, description, labels, dates or the done flag; 412 if
        ``expected_version`` is stale.

        A request that changes nothing answers the task as it is, without a write or event."""
        for name in ("startDate", "dueDate"):
            if requested.get(name) is not None:
                requested = {**requested, name: to_millis(requested[name])}
        sent_labels: list[str] = requested.get("labelIds", [])
        if "labelIds" in requested:
            requested = {**requested, "labelIds": list(unique_in_order(sent_labels))}
        labels_checked = False
        for _ in range(MAX_ATTEMPTS):
            task, access = await self._load(caller, task_id, Action.EDIT_TASKS)
            if expected_version is not None and task.version != expected_version:
                raise PreconditionFailed()
            if task.archived_at is not None:
                raise _archived()
            changes = changed_fields(task, requested)
            if not changes:
                return task
            if "labelIds" in changes and not labels_checked:
                await self._check_labels(access, sent_labels)
                labels_checked = True
            if "startDate" in changes or "dueDate" in changes:
                check_dates(
                    changes.get("startDate", task.start_date),
                    changes.get("dueDate", task.due_date),
                    "startDate" if "startDate" in changes else "dueDate",
                )
            updated = task.with_changes(changes, self._clock())
            event = updated_event(updated, changes)
            if await self._tasks.save(updated, task.version, event, event_context(caller)):
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                return updated
        raise _contended()

    async def move_task(
        self,
        caller: Caller,
        task_id: str,
        list_id: str,
        after_id: str | None,
        before_id: str | None,
    ) -> Task:
        """Move a task to a place in a list of the same board; only that task is rewritten."""
        for _ in range(MAX_ATTEMPTS):
            task, access = await self._load(caller, task_id, Action.EDIT_TASKS)
            if task.archived_at is not None:
                raise _archived()
            ref = await self._target_list(access, list_id)
            placement = await self._placement(ref.id, after_id, before_id, moving=task.id)
            moved = replace(
                task,
                list_id=ref.id,
                position=placement.new_position(),
                updated_at=self._clock(),
                version=task.version + 1,
            )
            try:
                saved = await self._tasks.save(
                    moved, task.version, moved_event(moved, task.list_id), event_context(caller)
                )
            except PositionTaken:
                continue
            if saved:
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                await self._ensure_list_alive(caller, ref.id)
                return moved
        raise _contended()

    async def set_assignee(self, caller: Caller, task_id: str, user_id: str, *, on: bool) -> Task:
        """Assign (``on``) or unassign a user; idempotent (no write when nothing changes).

        Only a current board member may be assigned (422 otherwise)."""
        for _ in range(MAX_ATTEMPTS):
            task, access = await self._load(caller, task_id, Action.EDIT_TASKS)
            if task.archived_at is not None:
                raise _archived()
            present = user_id in task.assignee_ids
            if present == on:
                return task
            if on:
                if not is_safe_id(user_id) or not await access.is_member(user_id):
                    raise RuleBroken(("path", "userId"), "not a board member")
                if len(task.assignee_ids) >= ASSIGNEES_MAX:
                    raise RuleBroken(("path", "userId"), "a task has at most 50 assignees")
                assignees = (*task.assignee_ids, user_id)
            else:
                assignees = tuple(a for a in task.assignee_ids if a != user_id)
            changed = replace(
                task, assignee_ids=assignees, updated_at=self._clock(), version=task.version + 1
            )
            event = assignment_event(changed, user_id, assigned=on)
            if await self._tasks.save(changed, task.version, event, event_context(caller)):
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                return changed
        raise _contended()

    async def unassign_departed(self, board_id: str, user_id: str, ctx: EventContext) -> int:
        """Take a user who left or was removed off every task of the board (one
        ``task.unassigned`` each); returns how many tasks changed. Skipped while the user is a
        member again (re-added since: their new assignments stand). Idempotent: a task no
        longer naming them is left alone."""
        changed = 0
        if await self._projection.role_of(board_id, user_id) is not None:
            return changed
        for task in await self._tasks.assigned_on_board(board_id, user_id):
            for _ in range(MAX_ATTEMPTS):
                if user_id not in task.assignee_ids:
                    break
                updated = replace(
                    task,
                    assignee_ids=tuple(a for a in task.assignee_ids if a != user_id),
                    updated_at=self._clock(),
                    version=task.version + 1,
                )
                event = assignment_event(updated, user_id, assigned=False)
                if await self._tasks.save(updated, task.version, event, ctx):
                    self._outbox.written(task.id)
                    changed += 1
                    break
                fresh = await self._tasks.get(task.id)
                if fresh is None:
                    break
                task = fresh
            else:
                raise _contended()
        if changed:
            await self._cache.invalidate(board_id)
        return changed

    async def detach_label(self, board_id: str, label_id: str, ctx: EventContext) -> int:
        """Take a deleted label off every task of its board (one ``task.updated`` with the new
        ``labelIds`` each); idempotent: a task no longer naming it is left alone. Returns how
        many tasks changed."""
        changed = 0
        for task in await self._tasks.labelled_on_board(board_id, label_id):
            for _ in range(MAX_ATTEMPTS):
                if label_id not in task.label_ids:
                    break
                remaining = [lid for lid in task.label_ids if lid != label_id]
                updated = task.with_changes({"labelIds": remaining}, self._clock())
                event = updated_event(updated, {"labelIds": remaining})
                if await self._tasks.save(updated, task.version, event, ctx):
                    self._outbox.written(task.id)
                    changed += 1
                    break
                fresh = await self._tasks.get(task.id)
                if fresh is None:
                    break
                task = fresh
            else:
                raise _contended()
        if changed:
            await self._cache.invalidate(board_id)
        return changed

    async def delete_task(self, caller: Caller, task_id: str) -> None:
        """Delete an archived task for good (its ``task.deleted`` goes out through the
        tombstone)."""
        for _ in range(MAX_ATTEMPTS):
            task, _ = await self._load(caller, task_id, Action.EDIT_TASKS)
            if task.archived_at is None:
                raise _not_archived()
            gone = replace(task, updated_at=self._clock(), version=task.version + 1)
            if await self._tasks.delete(
                gone, task.version, deleted_event(gone), event_context(caller)
            ):
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                # The fast path; the consumer of task.deleted is the guarantee.
                await self._comments.delete_of_task(task.id)
                return
        raise _contended()

    async def list_tasks(
        self, caller: Caller, board_id: str, list_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Task], str | None]:
        """A page of the board's tasks ordered by list (board order), then position."""
        access = self.access(board_id, caller)
        await access.authorize(Action.READ)
        return await list_page(access, self._tasks, list_id, limit, cursor)

    async def board_tasks(self, caller: Caller, board_id: str) -> BoardTasks:
        """Every task of the board in board order (lists in order, then position), from the
        cache when it holds the current generation (members only)."""
        access = self.access(board_id, caller)
        await access.authorize(Action.READ)
        lookup = await self._cache.get(board_id)
        if lookup.hit is not None:
            return lookup.hit
        lists, tasks = await asyncio.gather(access.lists(), self._tasks.of_board(board_id))
        by_list: dict[str, list[Task]] = {}
        for task in tasks:
            by_list.setdefault(task.list_id, []).append(task)
        # Tasks of a list the projection no longer has (deleted, cascade under way) are left
        # out, as the paged listing leaves them out.
        items = [task_json(task) for ref in lists for task in by_list.get(ref.id, ())]
        body = BoardTasks.of(jsonutil.dumps_bytes({"items": items, "next": None}))
        # Stored under the generation seen before the reads: a write that landed meanwhile
        # has bumped it, so this body can never be served after that write.
        await self._cache.put(board_id, lookup.generation, encode_entry(body))
        return body

    async def filter_tasks(
        self, caller: Caller, board_id: str, flt: TaskFilter, at: datetime | None = None
    ) -> list[Task]:
        """Every task of the board that passes ``flt``, in board order (members only)."""
        access = self.access(board_id, caller)
        await access.authorize(Action.READ)
        moment = at or self._clock()
        if flt.archived:
            # Archived tasks keep the archive listing's order (latest archived first): their
            # lists may be archived or gone.
            archived = await self._tasks.archived_of_board(board_id)
            return [t for t in archived if matches(filterable(t), flt, caller.user_id, moment)]
        lists, tasks = await asyncio.gather(access.lists(), self._tasks.of_board(board_id))
        by_list: dict[str, list[Task]] = {}
        for task in tasks:
            if matches(filterable(task), flt, caller.user_id, moment):
                by_list.setdefault(task.list_id, []).append(task)
        return [task for ref in lists for task in by_list.get(ref.id, ())]

    # --- cascades (events in) ------------------------------------------------------------------

    async def delete_list_tasks(self, list_id: str, cause: EventContext) -> int:
        """Delete every task of a deleted list, each with its own ``task.deleted`` (so every
        subscriber and client sees them go); idempotent. Returns how many were deleted."""
        deleted = await self._cascade(await self._tasks.live_of_list(list_id), cause)
        await self._tasks.drop_drained(list_id=list_id)
        return deleted

    async def delete_board_tasks(self, board_id: str, cause: EventContext) -> int:
        """Delete every task of a deleted board, each with its own ``task.deleted``;
        idempotent. Returns how many were deleted."""
        deleted = await self._cascade(await self._tasks.live_of_board(board_id), cause)
        await self._tasks.drop_drained(board_id=board_id)
        await self._comments.delete_of_board(board_id)
        await self._cache.invalidate(board_id)
        return deleted

    async def _cascade(self, tasks: list[Task], cause: EventContext) -> int:
        gate = asyncio.Semaphore(CASCADE_CONCURRENCY)

        async def delete_one(task: Task) -> bool:
            async with gate:
                return await self._delete_as(task, cause)

        deleted = sum(await asyncio.gather(*(delete_one(task) for task in tasks)))
        for board_id in {task.board_id for task in tasks}:
            await self._cache.invalidate(board_id)
        return deleted

    async def _delete_as(self, task: Task | None, cause: EventContext) -> bool:
        """Tombstone ``task`` with its ``task.deleted``, re-reading it after a lost race;
        ``False`` when it is gone already."""
        for _ in range(MAX_ATTEMPTS):
            if task is None:
                return False
            gone = replace(task, updated_at=self._clock(), version=task.version + 1)
            if await self._tasks.delete(gone, task.version, deleted_event(gone), cause):
                self._outbox.written(task.id)
                await self._comments.delete_of_task(task.id)
                return True
            task = await self._tasks.get(task.id)
        raise _contended()

    # --- checklists ----------------------------------------------------------------------------
    #
    # Every checklist write is one compare-and-set of the task document (checklists, progress,
    # version and the event together), retried on a lost race like every task write.

    async def task_detail(self, caller: Caller, task_id: str) -> TaskDetail:
        """One task with its checklists (members only)."""
        task, checklists = await self._load_checklists(caller, task_id, Action.READ)
        return TaskDetail(task, checklists)

    async def _load_checklists(
        self, caller: Caller, task_id: str, action: Action
    ) -> tuple[Task, tuple[Checklist, ...]]:
        found = await self._tasks.get_with_checklists(task_id) if is_safe_id(task_id) else None
        if found is None:
            raise NotFound("task")
        task, checklists = found
        await self.access(task.board_id, caller).authorize(action, what="task")
        return task, _displayed(checklists)

    async def _change_checklists(
        self,
        caller: Caller,
        task_id: str,
        expected_version: int | None,
        change: Callable[
            [Task, tuple[Checklist, ...], BoardAccess], Awaitable[ChecklistChange | None]
        ],
    ) -> TaskDetail:
        """Apply ``change`` (``None``: nothing to change) and write it with its event."""
        for _ in range(MAX_ATTEMPTS):
            task, checklists = await self._load_checklists(caller, task_id, Action.EDIT_TASKS)
            if expected_version is not None and task.version != expected_version:
                raise PreconditionFailed()
            if task.archived_at is not None:
                raise _archived()
            outcome = await change(task, checklists, self.access(task.board_id, caller))
            if outcome is None:
                return TaskDetail(task, checklists)
            new_checklists = _displayed(outcome.checklists)
            changed = replace(
                task,
                checklist_progress=progress_of(new_checklists),
                updated_at=self._clock(),
                version=task.version + 1,
            )
            if await self._tasks.save_checklists(
                changed, new_checklists, task.version, outcome.event(changed), event_context(caller)
            ):
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                return TaskDetail(changed, new_checklists, outcome.created_id)
        raise _contended()

    async def create_checklist(
        self,
        caller: Caller,
        task_id: str,
        fields: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskDetail:
        """A new, empty checklist on the task (at the end unless anchored)."""

        async def change(
            task: Task, checklists: tuple[Checklist, ...], _: BoardAccess
        ) -> ChecklistChange | None:
            given = fields.get("id")
            if given is not None and any(c.id == given for c in checklists):
                return None  # made by an earlier create naming the same id
            if len(checklists) >= CHECKLISTS_MAX:
                raise RuleBroken(
                    ("path", "taskId"), f"a task has at most {CHECKLISTS_MAX} checklists"
                )
            position = place_among(
                checklists, fields.get("afterId"), fields.get("beforeId"), what="a checklist"
            )
            checklist = Checklist(
                id=given or self._new_id(), title=fields["title"], position=position
            )
            return ChecklistChange(
                (*checklists, checklist),
                lambda t: checklist_created_event(t, checklist),
                checklist.id,
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def update_checklist(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        fields: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskDetail:
        """Rename a checklist and/or move it (anchors ``afterId``/``beforeId``); a rename to
        the same title without anchors changes nothing."""

        async def change(
            task: Task, checklists: tuple[Checklist, ...], _: BoardAccess
        ) -> ChecklistChange | None:
            checklist = _checklist(checklists, checklist_id)
            changes: dict[str, Any] = {}
            updated = checklist
            if "title" in fields and fields["title"] != checklist.title:
                changes["title"] = fields["title"]
                updated = replace(updated, title=fields["title"])
            if "afterId" in fields or "beforeId" in fields:
                position = place_among(
                    checklists,
                    fields.get("afterId"),
                    fields.get("beforeId"),
                    moving=checklist.id,
                    what="a checklist",
                )
                changes["position"] = position
                updated = replace(updated, position=position)
            if not changes:
                return None
            others = tuple(c for c in checklists if c.id != checklist.id)
            return ChecklistChange(
                (*others, updated), lambda t: checklist_updated_event(t, updated, changes)
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def delete_checklist(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        expected_version: int | None = None,
    ) -> TaskDetail:
        """Delete a checklist with its items."""

        async def change(
            task: Task, checklists: tuple[Checklist, ...], _: BoardAccess
        ) -> ChecklistChange:
            checklist = _checklist(checklists, checklist_id)
            return ChecklistChange(
                tuple(c for c in checklists if c.id != checklist.id),
                lambda t: checklist_deleted_event(t, checklist),
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def create_item(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        fields: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskDetail:
        """A new item in a checklist (at the end unless anchored)."""
        due = fields.get("dueDate")

        async def change(
            task: Task, checklists: tuple[Checklist, ...], access: BoardAccess
        ) -> ChecklistChange | None:
            checklist = _checklist(checklists, checklist_id)
            given = fields.get("id")
            if given is not None and any(item.id == given for item in checklist.items):
                return None  # made by an earlier create naming the same id
            if given is not None and any(
                item.id == given for other in checklists for item in other.items
            ):
                raise IdTaken("checklist item")
            if len(checklist.items) >= CHECKLIST_ITEMS_MAX:
                raise _full_checklist(("path", "checklistId"))
            await _check_assignee(access, fields.get("assigneeId"))
            item = ChecklistItem(
                id=given or self._new_id(),
                text=fields["text"],
                done=bool(fields.get("done", False)),
                position=place_among(
                    checklist.items, fields.get("afterId"), fields.get("beforeId"), what="an item"
                ),
                assignee_id=fields.get("assigneeId"),
                due_date=None if due is None else to_millis(due),
            )
            updated = replace(checklist, items=(*checklist.items, item))
            return ChecklistChange(
                _replaced(checklists, updated),
                lambda t: item_created_event(t, checklist.id, item),
                item.id,
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def update_item(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        item_id: str,
        requested: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskDetail:
        """Edit an item's text, tick or untick it, (un)assign it, (un)date it; a request that
        changes nothing answers the task as it is."""
        if requested.get("dueDate") is not None:
            requested = {**requested, "dueDate": to_millis(requested["dueDate"])}

        async def change(
            task: Task, checklists: tuple[Checklist, ...], access: BoardAccess
        ) -> ChecklistChange | None:
            checklist = _checklist(checklists, checklist_id)
            item = _item(checklist, item_id)
            current = item.field_values()
            changes = {k: v for k, v in requested.items() if current.get(k) != v}
            if not changes:
                return None
            if changes.get("assigneeId") is not None:
                await _check_assignee(access, changes["assigneeId"])
            updated = item.with_changes(changes)
            items = tuple(updated if i.id == item.id else i for i in checklist.items)
            return ChecklistChange(
                _replaced(checklists, replace(checklist, items=items)),
                lambda t: item_updated_event(t, checklist.id, updated, changes),
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def move_item(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        item_id: str,
        fields: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskDetail:
        """Move an item to a place in its checklist or another checklist of the same task
        (``checklistId``); always writes, like a task move."""

        async def change(
            task: Task, checklists: tuple[Checklist, ...], _: BoardAccess
        ) -> ChecklistChange:
            source = _checklist(checklists, checklist_id)
            item = _item(source, item_id)
            target_id = fields.get("checklistId", source.id)
            target = next((c for c in checklists if c.id == target_id), None)
            if target is None:
                raise RuleBroken(("body", "checklistId"), "no such checklist on this task")
            if target.id != source.id and len(target.items) >= CHECKLIST_ITEMS_MAX:
                raise _full_checklist(("body", "checklistId"))
            position = place_among(
                target.items,
                fields.get("afterId"),
                fields.get("beforeId"),
                moving=item.id,
                what="an item",
            )
            moved = replace(item, position=position)
            rest = replace(source, items=tuple(i for i in source.items if i.id != item.id))
            result = _replaced(checklists, rest)
            into = next(c for c in result if c.id == target.id)
            result = _replaced(result, replace(into, items=(*into.items, moved)))
            return ChecklistChange(
                result, lambda t: item_moved_event(t, source.id, target.id, moved)
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    async def delete_item(
        self,
        caller: Caller,
        task_id: str,
        checklist_id: str,
        item_id: str,
        expected_version: int | None = None,
    ) -> TaskDetail:
        """Delete an item."""

        async def change(
            task: Task, checklists: tuple[Checklist, ...], _: BoardAccess
        ) -> ChecklistChange:
            checklist = _checklist(checklists, checklist_id)
            item = _item(checklist, item_id)
            items = tuple(i for i in checklist.items if i.id != item.id)
            return ChecklistChange(
                _replaced(checklists, replace(checklist, items=items)),
                lambda t: item_deleted_event(t, checklist.id, item),
            )

        return await self._change_checklists(caller, task_id, expected_version, change)

    # --- archive and restore -------------------------------------------------------------------

    async def archive_task(self, caller: Caller, task_id: str) -> Task:
        """Hide a task from the board, keeping its list and place; archiving an archived task
        changes nothing."""
        for _ in range(MAX_ATTEMPTS):
            task, _ = await self._load(caller, task_id, Action.EDIT_TASKS)
            if task.archived_at is not None:
                return task
            at = self._clock()
            archived = replace(task, archived_at=at, updated_at=at, version=task.version + 1)
            if await self._tasks.save(
                archived, task.version, archived_event(archived), event_context(caller)
            ):
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                return archived
        raise _contended()

    async def _restorable_list(self, access: BoardAccess, task: Task) -> ListRef:
        """The task's own list when it is live; else why it cannot go back there."""
        ref = await access.list_on_board(task.list_id)
        if ref is not None:
            return ref
        known = await self._projection.get_list(task.list_id)
        archived = known is not None and known.archived and not known.deleted
        raise _list_unavailable("list_archived" if archived else "list_deleted")

    async def restore_task(self, caller: Caller, task_id: str, list_id: str | None) -> Task:
        """Put an archived task back: at its own place in its own list, or at the end of
        ``list_id`` (a live list of the board). Without ``list_id``, a task whose list is
        archived or deleted is refused (422 saying which); restoring a task that is not
        archived changes nothing."""
        for _ in range(MAX_ATTEMPTS):
            task, access = await self._load(caller, task_id, Action.EDIT_TASKS)
            if task.archived_at is None:
                return task
            if list_id is None or list_id == task.list_id:
                ref = await self._restorable_list(access, task)
                position = task.position  # its place was held for it (unique index)
            else:
                ref = await self._target_list(access, list_id)
                position = Placement(await self._tasks.last_position(ref.id), None).new_position()
            restored = replace(
                task,
                list_id=ref.id,
                position=position,
                archived_at=None,
                archived_with_list=False,
                updated_at=self._clock(),
                version=task.version + 1,
            )
            event = restored_event(restored, task.list_id, with_list=False)
            try:
                saved = await self._tasks.save(restored, task.version, event, event_context(caller))
            except PositionTaken:
                continue
            if saved:
                self._outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                await self._ensure_list_alive(caller, ref.id)
                return restored
        raise _contended()

    async def archived_tasks(self, caller: Caller, board_id: str) -> list[Task]:
        """The board's archived tasks, the latest archived first (members only)."""
        access = self.access(board_id, caller)
        await access.authorize(Action.READ)
        return await self._tasks.archived_of_board(board_id)

    async def archive_list_tasks(self, list_id: str, cause: EventContext) -> int:
        """Archive every task of an archived list that is not archived yet, each with its own
        ``task.archived`` (``withList``); idempotent. Returns how many were archived."""
        changed = await self._each(
            await self._tasks.active_of_list(list_id), cause, self._archive_with_list
        )
        await self._settle(list_id, cause, archived=True)
        return changed

    async def restore_list_tasks(self, list_id: str, cause: EventContext) -> int:
        """Restore the tasks archived with a restored list (not those archived on their own
        before), each with its own ``task.restored``; idempotent. Returns how many."""
        changed = await self._each(
            await self._tasks.archived_with_list(list_id), cause, self._restore_with_list
        )
        await self._settle(list_id, cause, archived=False)
        return changed

    async def _settle(self, list_id: str, cause: EventContext, *, archived: bool) -> None:
        """An archive and a restore of one list may be handled concurrently: whichever
        finishes last makes the tasks match the list's final state in the projection."""
        ref = await self._projection.get_list(list_id)
        if ref is None or ref.deleted or ref.archived == archived:
            return
        if ref.archived:
            await self._each(
                await self._tasks.active_of_list(list_id), cause, self._archive_with_list
            )
        else:
            await self._each(
                await self._tasks.archived_with_list(list_id), cause, self._restore_with_list
            )

    async def _each(
        self,
        tasks: list[Task],
        cause: EventContext,
        change: Callable[[Task, EventContext], Awaitable[bool]],
    ) -> int:
        gate = asyncio.Semaphore(CASCADE_CONCURRENCY)

        async def one(task: Task) -> bool:
            async with gate:
                return await change(task, cause)

        changed = sum(await asyncio.gather(*(one(task) for task in tasks)))
        for board_id in {task.board_id for task in tasks}:
            await self._cache.invalidate(board_id)
        return changed

    async def _archive_with_list(self, task: Task | None, cause: EventContext) -> bool:
        for _ in range(MAX_ATTEMPTS):
            if task is None or task.archived_at is not None:
                return False
            at = self._clock()
            archived = replace(
                task,
                archived_at=at,
                archived_with_list=True,
                updated_at=at,
                version=task.version + 1,
            )
            if await self._tasks.save(archived, task.version, archived_event(archived), cause):
                self._outbox.written(task.id)
                return True
            task = await self._tasks.get(task.id)
        raise _contended()

    async def _restore_with_list(self, task: Task | None, cause: EventContext) -> bool:
        # Every open client, the restorer's included, must see the tasks come back: the
        # restorer's screen has the list from its answer but not the tasks.
        ctx = EventContext(actor_id=cause.actor_id, correlation_id=cause.correlation_id)
        for _ in range(MAX_ATTEMPTS):
            if task is None or task.archived_at is None or not task.archived_with_list:
                return False
            restored = replace(
                task,
                archived_at=None,
                archived_with_list=False,
                updated_at=self._clock(),
                version=task.version + 1,
            )
            event = restored_event(restored, task.list_id, with_list=True)
            if await self._tasks.save(restored, task.version, event, ctx):
                self._outbox.written(task.id)
                return True
            task = await self._tasks.get(task.id)
        raise _contended()


def _displayed(checklists: tuple[Checklist, ...]) -> tuple[Checklist, ...]:
    """Checklists and their items in display order."""
    return by_position(tuple(replace(c, items=by_position(c.items)) for c in checklists))


def _checklist(checklists: tuple[Checklist, ...], checklist_id: str) -> Checklist:
    found = next((c for c in checklists if c.id == checklist_id), None)
    if found is None:
        raise NotFound("checklist")
    return found


def _item(checklist: Checklist, item_id: str) -> ChecklistItem:
    found = checklist.item(item_id)
    if found is None:
        raise NotFound("checklist item")
    return found


def _replaced(checklists: tuple[Checklist, ...], checklist: Checklist) -> tuple[Checklist, ...]:
    return tuple(checklist if c.id == checklist.id else c for c in checklists)


def _full_checklist(loc: tuple[str, ...]) -> RuleBroken:
    return RuleBroken(loc, f"a checklist has at most {CHECKLIST_ITEMS_MAX} items")


async def _check_assignee(access: BoardAccess, user_id: str | None) -> None:
    if user_id is not None and (not is_safe_id(user_id) or not await access.is_member(user_id)):
        raise RuleBroken(("body", "assigneeId"), "not a board member")


# --- comments -------------------------------------------------------------------------------------

# A comment left pending this long (its request died between its writes) is finished by the
# healer; a live request finishes its own within milliseconds.
HEAL_GRACE_SECONDS = 10.0
HEAL_BATCH = 100


class CountingTasks(Protocol):
    """What comments need of the task store: the task, and its comment count written once per
    comment operation together with the event (see ``TaskRepository``)."""

    async def get(self, task_id: str) -> Task | None: ...

    async def comment_counted(self, task_id: str, marker: str) -> bool: ...

    async def count_comment(
        self, task: Task, expected_version: int, marker: str, event: TaskEvent, ctx: EventContext
    ) -> bool: ...


class CommentStore(Protocol):
    """Where comments live (see ``CommentRepository``)."""

    async def get(self, comment_id: str) -> Comment | None: ...

    async def page(
        self, task_id: str, after: tuple[str, str] | None, limit: int
    ) -> list[Comment]: ...

    async def insert_pending(self, comment: Comment, ctx: EventContext, since: str) -> None: ...

    async def mark_deleting(self, comment: Comment, ctx: EventContext, since: str) -> bool: ...

    async def settle(self, comment_id: str) -> None: ...

    async def remove(self, comment_id: str) -> None: ...

    async def save_text(
        self, comment: Comment, expected_version: int, event: TaskEvent, ctx: EventContext
    ) -> bool: ...

    async def pending_before(
        self, cutoff: str, limit: int
    ) -> list[tuple[Comment, str, EventContext]]: ...


class CommentService:
    """Comments on tasks: list (members), write (owners and editors), edit (the author),
    delete (the author or the board's owner); the task's ``commentCount`` follows."""

    def __init__(
        self,
        tasks: CountingTasks,
        comments: CommentStore,
        projection: ProjectionReader,
        directory: BoardDirectory,
        cache: TasksCache | None = None,
        *,
        task_outbox: Outbox = _SWEEPER_ONLY,
        comment_outbox: Outbox = _SWEEPER_ONLY,
        new_id: Callable[[], str] = new_id,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self._tasks = tasks
        self._comments = comments
        self._projection = projection
        self._directory = directory
        self._cache: TasksCache = cache or NoCache()
        self._task_outbox = task_outbox
        self._comment_outbox = comment_outbox
        self._new_id = new_id
        self._clock = clock

    async def _task(self, caller: Caller, task_id: str, action: Action) -> tuple[Task, BoardAccess]:
        task = await self._tasks.get(task_id) if is_safe_id(task_id) else None
        if task is None:
            raise NotFound("task")
        access = BoardAccess(task.board_id, caller, self._projection, self._directory)
        await access.authorize(action, what="task")
        return task, access

    async def _comment(
        self, caller: Caller, comment_id: str
    ) -> tuple[Comment, Task, BoardAccess, Role]:
        """The comment, its task and the caller's role: 404 unless a member can see them."""
        comment = await self._comments.get(comment_id) if is_safe_id(comment_id) else None
        task = None if comment is None else await self._tasks.get(comment.task_id)
        if comment is None or task is None:
            raise NotFound("comment")
        access = BoardAccess(task.board_id, caller, self._projection, self._directory)
        role = await access.authorize(Action.READ, what="comment")
        return comment, task, access, role

    @staticmethod
    async def _members(access: BoardAccess, user_ids: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``user_ids`` who are members of the board (others are not mentions)."""
        return tuple([user_id for user_id in user_ids if await access.is_member(user_id)])

    async def _count(self, comment: Comment, operation: str, ctx: EventContext) -> Task | None:
        """Count a comment's creation or deletion in its task, with its event, at most once;
        ``None`` when the task is gone."""
        marker = comment_marker(operation, comment.id)
        created = operation == PENDING_CREATE
        for _ in range(MAX_ATTEMPTS):
            task = await self._tasks.get(comment.task_id)
            if task is None:
                return None
            if await self._tasks.comment_counted(task.id, marker):
                return task
            changed = replace(
                task,
                comment_count=max(0, task.comment_count + (1 if created else -1)),
                version=task.version + 1,
            )
            event = (
                comment_created_event(comment, changed)
                if created
                else comment_deleted_event(comment, changed)
            )
            if await self._tasks.count_comment(changed, task.version, marker, event, ctx):
                self._task_outbox.written(task.id)
                await self._cache.invalidate(task.board_id)
                return changed
        raise _contended()

    async def list_comments(
        self, caller: Caller, task_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Comment], str | None]:
        """A page of the task's comments, newest first (members only)."""
        task, _ = await self._task(caller, task_id, Action.READ)
        after = decode_comment_cursor(cursor) if cursor else None
        items = await self._comments.page(task.id, after, limit + 1)
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, comment_cursor(items[-1])

    async def given_comment(self, caller: Caller, task_id: str, comment_id: str) -> Comment | None:
        """Create-if-absent: the comment a create naming ``comment_id`` on this task made
        before (the caller wrote it), ``None`` when there is none; ``IdTaken`` otherwise."""
        await self._task(caller, task_id, Action.COMMENT)
        comment = await self._comments.get(comment_id)
        if comment is None:
            return None
        if comment.task_id != task_id or comment.author_id != caller.user_id:
            raise IdTaken("comment")
        return comment

    async def create_comment(
        self,
        caller: Caller,
        task_id: str,
        text: str,
        *,
        comment_id: str | None = None,
        imported: ImportedFrom | None = None,
    ) -> Comment:
        """A new comment by the caller (owners and editors); mentions of non-members are
        dropped from ``mentions`` (the text keeps them). ``comment_id``: a client-chosen id
        (see :meth:`given_comment`); ``imported``: where an imported comment came from."""
        task, access = await self._task(caller, task_id, Action.COMMENT)
        if task.archived_at is not None:
            raise _archived()
        at = self._clock()
        comment = Comment(
            imported=imported,
            id=comment_id or self._new_id(),
            task_id=task.id,
            board_id=task.board_id,
            author_id=caller.user_id,
            text=text,
            mentions=await self._members(access, mentioned_ids(text)),
            created_at=at,
            updated_at=at,
            version=1,
        )
        ctx = event_context(caller)
        await self._comments.insert_pending(comment, ctx, rfc3339(at))
        if await self._count(comment, PENDING_CREATE, ctx) is None:
            await self._comments.remove(comment.id)
            raise NotFound("task")
        await self._comments.settle(comment.id)
        return comment

    async def update_comment(self, caller: Caller, comment_id: str, text: str) -> Comment:
        """Edit the text (the author, while they may comment). The same text changes nothing."""
        for _ in range(MAX_ATTEMPTS):
            comment, task, access, _ = await self._comment(caller, comment_id)
            if comment.author_id != caller.user_id:
                raise Forbidden("Only the author of a comment can edit it.")
            await access.authorize(Action.COMMENT, what="comment")
            if task.archived_at is not None:
                raise _archived()
            if text == comment.text:
                return comment
            edited = replace(
                comment,
                text=text,
                mentions=await self._members(access, mentioned_ids(text)),
                updated_at=self._clock(),
                version=comment.version + 1,
            )
            event = comment_updated_event(edited, task, comment.mentions)
            if await self._comments.save_text(
                edited, comment.version, event, event_context(caller)
            ):
                self._comment_outbox.written(comment.id)
                return edited
        raise _contended()

    async def delete_comment(self, caller: Caller, comment_id: str) -> None:
        """Delete a comment: its author (while they may comment) or the board's owner."""
        for _ in range(MAX_ATTEMPTS):
            comment, task, access, role = await self._comment(caller, comment_id)
            if not (comment.author_id == caller.user_id and can(role, Action.COMMENT)):
                await access.authorize(Action.MODERATE_COMMENTS, what="comment")
            if task.archived_at is not None:
                raise _archived()
            ctx = event_context(caller)
            if await self._comments.mark_deleting(comment, ctx, rfc3339(self._clock())):
                await self._count(comment, PENDING_DELETE, ctx)
                await self._comments.remove(comment.id)
                return
        raise _contended()

    async def heal_pending(self, older_than: float = HEAL_GRACE_SECONDS) -> int:
        """Finish the comment operations whose request died between its writes (pending
        longer than ``older_than`` seconds); returns how many were finished."""
        cutoff = rfc3339(self._clock() - timedelta(seconds=older_than))
        healed = 0
        for comment, operation, ctx in await self._comments.pending_before(cutoff, HEAL_BATCH):
            counted = await self._count(comment, operation, ctx)
            if operation == PENDING_CREATE and counted is not None:
                await self._comments.settle(comment.id)
            else:
                await self._comments.remove(comment.id)
            healed += 1
        return healed
