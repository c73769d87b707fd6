"""Tasks and the rules about them, free of I/O: limits, the task's public shape, what each change
tells the rest of the suite (event data), and what the task service knows of boards.

Positions are fractional-index strings (``hintro_shared.ordering``): a task's place in its list
is its position alone, so moving a task rewrites that one task and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

# What the task service knows of boards (the shared board view), re-exported so the task
# vocabulary stays in one place.
from hintro_shared.boardview.model import BoardSnapshot as BoardSnapshot
from hintro_shared.boardview.model import ListRef as ListRef
from hintro_shared.caller import Caller
from hintro_shared.ids import ID_MAX_LENGTH
from hintro_shared.ids import is_safe_id as is_safe_id
from hintro_shared.labels import LABELS_PER_TASK_MAX
from hintro_shared.ordering import PositionTaken as PositionTaken
from hintro_shared.ordering import jittered_key_between, key_between
from hintro_shared.pagination import decode_cursor, encode_cursor, invalid_cursor
from hintro_shared.refusals import RuleBroken
from hintro_shared.timeutil import now_millis, rfc3339

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
LABELS_MAX = LABELS_PER_TASK_MAX
ASSIGNEES_MAX = 50
ID_MAX = ID_MAX_LENGTH

TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"
TASK_MOVED = "task.moved"
TASK_ASSIGNED = "task.assigned"
TASK_UNASSIGNED = "task.unassigned"
TASK_DELETED = "task.deleted"
TASK_ARCHIVED = "task.archived"
TASK_RESTORED = "task.restored"

EDITABLE_FIELDS = ("title", "description", "labelIds", "startDate", "dueDate", "dueComplete")


@dataclass(frozen=True)
class EventContext:
    """Who caused a change and from where: copied into each event's envelope."""

    actor_id: str | None
    correlation_id: str | None = None
    origin_socket_id: str | None = None


now = now_millis


def event_context(caller: Caller) -> EventContext:
    """The provenance every event of the caller's request carries."""
    return EventContext(
        actor_id=caller.user_id,
        correlation_id=caller.request_id,
        origin_socket_id=caller.socket_id,
    )


def unique_in_order(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrence kept (labels and assignees are sets with a
    stable display order)."""
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class Progress:
    """Items done and items in all of a task's checklists."""

    done: int
    total: int


@dataclass(frozen=True)
class Task:
    """A card in a board's list."""

    id: str
    board_id: str
    list_id: str
    title: str
    description: str
    position: str
    assignee_ids: tuple[str, ...]
    label_ids: tuple[str, ...]
    due_date: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    # Done and total items over the task's checklists, kept in the task document beside them
    # so the board load reads two numbers instead of every checklist.
    checklist_progress: Progress = field(default_factory=lambda: Progress(0, 0))
    start_date: datetime | None = None
    due_complete: bool = False
    archived_at: datetime | None = None
    # Archived because its list was: restoring the list brings exactly these tasks back.
    archived_with_list: bool = False
    # Live comments; every change of it raises the version (see the comments section below).
    comment_count: int = 0

    def field_values(self) -> dict[str, Any]:
        """The editable fields by their public names, for computing what a PATCH changes."""
        return {
            "title": self.title,
            "description": self.description,
            "labelIds": list(self.label_ids),
            "startDate": self.start_date,
            "dueDate": self.due_date,
            "dueComplete": self.due_complete,
        }

    def with_changes(self, changes: dict[str, Any], at: datetime) -> Task:
        """A copy with the editable ``changes`` (public names) applied and the version bumped."""
        updated = replace(self, updated_at=at, version=self.version + 1)
        if "title" in changes:
            updated = replace(updated, title=changes["title"])
        if "description" in changes:
            updated = replace(updated, description=changes["description"])
        if "labelIds" in changes:
            updated = replace(updated, label_ids=tuple(changes["labelIds"]))
        if "startDate" in changes:
            updated = replace(updated, start_date=changes["startDate"])
        if "dueDate" in changes:
            updated = replace(updated, due_date=changes["dueDate"])
        if "dueComplete" in changes:
            updated = replace(updated, due_complete=changes["dueComplete"])
        return updated


class StartAfterDue(RuleBroken):
    """A task's start date is after its due date."""

    def __init__(self, field: str) -> None:
        super().__init__(("body", field), "the start date must not be after the due date")


class ForeignLabel(RuleBroken):
    """A label id names no label of the task's board."""

    def __init__(self, index: int) -> None:
        super().__init__(("body", "labelIds", str(index)), "not a label of this board")


def check_dates(start: datetime | None, due: datetime | None, field: str) -> None:
    """A start date may not come after the due date (either may be absent)."""
    if start is not None and due is not None and start > due:
        raise StartAfterDue(field)


def changed_fields(task: Task, requested: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``requested`` (public names) that differs from ``task``."""
    current = task.field_values()
    return {name: value for name, value in requested.items() if current.get(name) != value}


@dataclass(frozen=True)
class Placement:
    """The neighbours a task is placed between (positions; ``None`` is an open end)."""

    lower: str | None
    upper: str | None

    def new_position(self) -> str:
        """A fresh position strictly between the neighbours, jittered so that concurrent
        writers choosing the same gap pick distinct keys."""
        return jittered_key_between(self.lower, self.upper)


@dataclass(frozen=True)
class TaskEvent:
    """An event a task change emits: its type and data (the envelope is added on write)."""

    type: str
    data: dict[str, Any]


def _subject(task: Task) -> dict[str, Any]:
    # Every task event names the task, its board, list and version (consumers apply events with
    # a version guard); the rest is per type, as hintro_shared.events.catalogue declares.
    return {
        "taskId": task.id,
        "boardId": task.board_id,
        "listId": task.list_id,
        "version": task.version,
    }


def created_event(task: Task) -> TaskEvent:
    """``task.created`` carries the whole new task."""
    return TaskEvent(
        TASK_CREATED,
        {
            "boardId": task.board_id,
            "listId": task.list_id,
            "title": task.title,
            "description": task.description,
            "position": task.position,
            "assigneeIds": list(task.assignee_ids),
            "labelIds": list(task.label_ids),
            "startDate": task.start_date,
            "dueDate": task.due_date,
            "dueComplete": task.due_complete,
            "createdBy": task.created_by,
            "createdAt": task.created_at,
            "version": task.version,
            "taskId": task.id,
        },
    )


def updated_event(task: Task, changes: dict[str, Any]) -> TaskEvent:
    """``task.updated`` carries the fields that changed, with their new values."""
    return TaskEvent(TASK_UPDATED, {**_subject(task), **changes, "updatedAt": task.updated_at})


def moved_event(task: Task, from_list_id: str) -> TaskEvent:
    """``task.moved``: from which list to which, and the new position."""
    return TaskEvent(
        TASK_MOVED,
        {
            "taskId": task.id,
            "boardId": task.board_id,
            "fromListId": from_list_id,
            "toListId": task.list_id,
            "position": task.position,
            "version": task.version,
            "title": task.title,
        },
    )


def assignment_event(task: Task, user_id: str, *, assigned: bool) -> TaskEvent:
    """``task.assigned`` / ``task.unassigned`` name the user."""
    return TaskEvent(
        TASK_ASSIGNED if assigned else TASK_UNASSIGNED, {**_subject(task), "userId": user_id}
    )


def deleted_event(task: Task) -> TaskEvent:
    """``task.deleted`` names the task that went (and its last title, for summaries)."""
    return TaskEvent(TASK_DELETED, {**_subject(task), "title": task.title})


# --- checklists ---------------------------------------------------------------------------------
#
# A task's checklists live in the task document, beside its outbox: a checklist change is a
# change of the task aggregate (its version grows, its events are task.checklist_*), so one
# compare-and-set on the task's version keeps checklists, progress and events consistent
# without multi-document transactions, and deleting the task takes its checklists with it.

CHECKLISTS_MAX = 20
CHECKLIST_ITEMS_MAX = 100
CHECKLIST_TITLE_MAX = 200
ITEM_TEXT_MAX = 1_000

TASK_CHECKLIST_CREATED = "task.checklist_created"
TASK_CHECKLIST_UPDATED = "task.checklist_updated"
TASK_CHECKLIST_DELETED = "task.checklist_deleted"
TASK_CHECKLIST_ITEM_CREATED = "task.checklist_item_created"
TASK_CHECKLIST_ITEM_UPDATED = "task.checklist_item_updated"
TASK_CHECKLIST_ITEM_MOVED = "task.checklist_item_moved"
TASK_CHECKLIST_ITEM_DELETED = "task.checklist_item_deleted"

ITEM_FIELDS = ("text", "done", "assigneeId", "dueDate")


@dataclass(frozen=True)
class ChecklistItem:
    """One line of a checklist."""

    id: str
    text: str
    done: bool
    position: str
    assignee_id: str | None = None
    due_date: datetime | None = None

    def field_values(self) -> dict[str, Any]:
        """The editable fields by their public names."""
        return {
            "text": self.text,
            "done": self.done,
            "assigneeId": self.assignee_id,
            "dueDate": self.due_date,
        }

    def with_changes(self, changes: dict[str, Any]) -> ChecklistItem:
        """A copy with ``changes`` (public names) applied."""
        item = self
        if "text" in changes:
            item = replace(item, text=changes["text"])
        if "done" in changes:
            item = replace(item, done=changes["done"])
        if "assigneeId" in changes:
            item = replace(item, assignee_id=changes["assigneeId"])
        if "dueDate" in changes:
            item = replace(item, due_date=changes["dueDate"])
        return item


@dataclass(frozen=True)
class Checklist:
    """A titled, ordered list of items on a task (items sorted by position)."""

    id: str
    title: str
    position: str
    items: tuple[ChecklistItem, ...] = ()

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((item for item in self.items if item.id == item_id), None)


_Ordered = TypeVar("_Ordered", Checklist, ChecklistItem)


def by_position(things: list[_Ordered] | tuple[_Ordered, ...]) -> tuple[_Ordered, ...]:
    """``things`` in display order (position, then id for equal positions)."""
    return tuple(sorted(things, key=lambda thing: (thing.position, thing.id)))


def progress_of(checklists: tuple[Checklist, ...]) -> Progress:
    """Done and total items over ``checklists``."""
    items = [item for checklist in checklists for item in checklist.items]
    return Progress(done=sum(1 for item in items if item.done), total=len(items))


def place_among(
    siblings: tuple[Checklist, ...] | tuple[ChecklistItem, ...],
    after_id: str | None,
    before_id: str | None,
    *,
    moving: str | None = None,
    what: str,
) -> str:
    """A position among ``siblings`` (in order): right after ``after_id``, right before
    ``before_id`` alone, at the end without anchors. ``moving`` (being placed) is not a
    sibling. The whole parent is in hand and written with a version guard, so a plain
    midpoint cannot collide. :class:`RuleBroken` names a bad anchor."""
    if moving is not None and moving in (after_id, before_id):
        raise RuleBroken(
            ("body", "afterId" if moving == after_id else "beforeId"),
            f"{what} cannot be placed next to itself",
        )
    others = [thing for thing in siblings if thing.id != moving]
    index = {thing.id: i for i, thing in enumerate(others)}
    for name, anchor in (("afterId", after_id), ("beforeId", before_id)):
        if anchor is not None and anchor not in index:
            raise RuleBroken(("body", name), f"the anchor must be {what} of the target checklist")
    if after_id is not None:
        at = index[after_id]
        if before_id is not None and not at < index[before_id]:
            raise RuleBroken(("body", "beforeId"), "beforeId must come after afterId")
        upper = others[at + 1].position if at + 1 < len(others) else None
        return key_between(others[at].position, upper)
    if before_id is not None:
        at = index[before_id]
        return key_between(others[at - 1].position if at > 0 else None, others[at].position)
    return key_between(others[-1].position if others else None, None)


def _checklist_subject(task: Task, checklist_id: str) -> dict[str, Any]:
    # Every checklist event names the task (version after the change, title for summaries),
    # the checklist and the task's progress after the change, so a card updates from the event.
    return {
        **_subject(task),
        "title": task.title,
        "checklistId": checklist_id,
        "checklistProgress": {
            "done": task.checklist_progress.done,
            "total": task.checklist_progress.total,
        },
    }


def checklist_created_event(task: Task, checklist: Checklist) -> TaskEvent:
    """``task.checklist_created``: the new (empty) checklist."""
    return TaskEvent(
        TASK_CHECKLIST_CREATED,
        {
            **_checklist_subject(task, checklist.id),
            "checklistTitle": checklist.title,
            "position": checklist.position,
        },
    )


def checklist_updated_event(task: Task, checklist: Checklist, changes: dict[str, Any]) -> TaskEvent:
    """``task.checklist_updated``: its new title and/or position (only what changed)."""
    data = _checklist_subject(task, checklist.id)
    if "title" in changes:
        data["checklistTitle"] = checklist.title
    if "position" in changes:
        data["position"] = checklist.position
    return TaskEvent(TASK_CHECKLIST_UPDATED, data)


def checklist_deleted_event(task: Task, checklist: Checklist) -> TaskEvent:
    """``task.checklist_deleted``: the checklist and its items are gone."""
    return TaskEvent(
        TASK_CHECKLIST_DELETED,
        {**_checklist_subject(task, checklist.id), "checklistTitle": checklist.title},
    )


def _item_data(item: ChecklistItem) -> dict[str, Any]:
    return {
        "itemId": item.id,
        "text": item.text,
        "done": item.done,
        "position": item.position,
        "assigneeId": item.assignee_id,
        "dueDate": item.due_date,
    }


def item_created_event(task: Task, checklist_id: str, item: ChecklistItem) -> TaskEvent:
    """``task.checklist_item_created``: the whole new item."""
    return TaskEvent(
        TASK_CHECKLIST_ITEM_CREATED, {**_checklist_subject(task, checklist_id), **_item_data(item)}
    )


def item_updated_event(
    task: Task, checklist_id: str, item: ChecklistItem, changes: dict[str, Any]
) -> TaskEvent:
    """``task.checklist_item_updated``: the fields that changed, and the item's text (for
    summaries) in any case."""
    return TaskEvent(
        TASK_CHECKLIST_ITEM_UPDATED,
        {**_checklist_subject(task, checklist_id), "itemId": item.id, "text": item.text, **changes},
    )


def item_moved_event(
    task: Task, from_checklist_id: str, to_checklist_id: str, item: ChecklistItem
) -> TaskEvent:
    """``task.checklist_item_moved``: to a place in the same or another checklist of the task."""
    return TaskEvent(
        TASK_CHECKLIST_ITEM_MOVED,
        {
            **_checklist_subject(task, to_checklist_id),
            "fromChecklistId": from_checklist_id,
            "itemId": item.id,
            "text": item.text,
            "position": item.position,
        },
    )


def item_deleted_event(task: Task, checklist_id: str, item: ChecklistItem) -> TaskEvent:
    """``task.checklist_item_deleted``."""
    return TaskEvent(
        TASK_CHECKLIST_ITEM_DELETED,
        {**_checklist_subject(task, checklist_id), "itemId": item.id, "text": item.text},
    )


def archived_event(task: Task) -> TaskEvent:
    """``task.archived``: the task is hidden (``withList``: with its list)."""
    assert task.archived_at is not None
    return TaskEvent(
        TASK_ARCHIVED,
        {
            **_subject(task),
            "title": task.title,
            "withList": task.archived_with_list,
            "archivedAt": task.archived_at,
        },
    )


def restored_event(task: Task, from_list_id: str, *, with_list: bool) -> TaskEvent:
    """``task.restored`` carries the whole task as it is back (like ``task.created``), and
    where it was archived from when that is another list."""
    data = {**created_event(task).data, "withList": with_list, "commentCount": task.comment_count}
    # Its checklists come back with it: a card shown from this event shows their progress.
    progress = task.checklist_progress
    data["checklistProgress"] = {"done": progress.done, "total": progress.total}
    if from_list_id != task.list_id:
        data["fromListId"] = from_list_id
    return TaskEvent(TASK_RESTORED, data)


# --- comments -----------------------------------------------------------------------------------
#
# A comment is its own document; the task keeps the count. A change of the count and the event
# announcing it are one write of the task (its version + 1, the event in its outbox), so the
# event can carry the count it produced and clients apply it with the task's version guard.
# The comment document is written first, flagged pending with the operation, and the flag is
# cleared once the task write is done; a task write is applied at most once per comment and
# operation (a marker in the task), so a crash in between is finished later by the healer,
# never counted twice.

COMMENT_MAX = 5_000
MENTIONS_MAX = 50

COMMENT_CREATED = "comment.created"
COMMENT_UPDATED = "comment.updated"
COMMENT_DELETED = "comment.deleted"

PENDING_CREATE = "create"
PENDING_DELETE = "delete"

# A mention as the text stores it: ``@[label](userId)``. The label is what a reader without
# the board's member list sees (the web app shows the member's current name instead); only the
# id counts. Any character but ``]`` and a line break may be in a label, so names with spaces
# work.
MENTION = re.compile(r"@\[([^\]\n]{1,100})\]\(([A-Za-z0-9_-]{1,128})\)")


def mentioned_ids(text: str) -> tuple[str, ...]:
    """The user ids the text's mention tokens name, once each, in order (at most
    ``MENTIONS_MAX``); whether they are members is for the use case to check."""
    return unique_in_order([match.group(2) for match in MENTION.finditer(text)])[:MENTIONS_MAX]


@dataclass(frozen=True)
class ImportedFrom:
    """Where an imported comment came from: its author's name there and its date there."""

    author_name: str
    created_at: datetime


@dataclass(frozen=True)
class Comment:
    """A comment on a task: Markdown text with ``@[label](userId)`` mentions."""

    id: str
    task_id: str
    board_id: str
    author_id: str
    text: str
    mentions: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int
    imported: ImportedFrom | None = None
    """Set on a comment brought over from another tool (an import): who wrote it there, and
    when; ``author_id`` is then the user who imported it."""


def comment_cursor(comment: Comment) -> str:
    """The cursor of the page after ``comment`` (newest first by createdAt, then id)."""
    return encode_cursor({"t": rfc3339(comment.created_at), "i": comment.id})


def decode_comment_cursor(cursor: str) -> tuple[str, str]:
    """(createdAt as stored, id) of a cursor made by :func:`comment_cursor`."""
    value = decode_cursor(cursor)
    created_at, comment_id = value.get("t"), value.get("i")
    if not isinstance(created_at, str) or not isinstance(comment_id, str):
        raise invalid_cursor()
    return created_at, comment_id


def comment_marker(operation: str, comment_id: str) -> str:
    """The key that marks a comment operation as counted in its task."""
    return f"{operation}-{comment_id}"


def _comment_subject(comment: Comment, task: Task) -> dict[str, Any]:
    return {
        "commentId": comment.id,
        "taskId": task.id,
        "boardId": task.board_id,
        "listId": task.list_id,
        "authorId": comment.author_id,
        "title": task.title,
    }


def comment_created_event(comment: Comment, task: Task) -> TaskEvent:
    """``comment.created``; ``task`` is the task with the new count and version."""
    return TaskEvent(
        COMMENT_CREATED,
        {
            **_comment_subject(comment, task),
            "mentions": list(comment.mentions),
            "createdAt": comment.created_at,
            "version": comment.version,
            "taskVersion": task.version,
            "commentCount": task.comment_count,
        },
    )


def comment_updated_event(comment: Comment, task: Task, previous: tuple[str, ...]) -> TaskEvent:
    """``comment.updated``: the edited comment's mentions, and those the edit added."""
    return TaskEvent(
        COMMENT_UPDATED,
        {
            **_comment_subject(comment, task),
            "mentions": list(comment.mentions),
            "addedMentions": [m for m in comment.mentions if m not in previous],
            "updatedAt": comment.updated_at,
            "version": comment.version,
        },
    )


def comment_deleted_event(comment: Comment, task: Task) -> TaskEvent:
    """``comment.deleted``; ``task`` is the task with the new count and version."""
    return TaskEvent(
        COMMENT_DELETED,
        {
            **_comment_subject(comment, task),
            "version": comment.version + 1,
            "taskVersion": task.version,
            "commentCount": task.comment_count,
        },
    )
