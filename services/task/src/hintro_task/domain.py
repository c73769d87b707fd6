"""Tasks and the rules about them, free of I/O: limits, the task's public shape, what each change
tells the rest of the suite (event data), and what the task service knows of boards.

Positions are fractional-index strings (``hintro_shared.ordering``): a task's place in its list
is its position alone, so moving a task rewrites that one task and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

# What the task service knows of boards (lifted into hintro_shared.boardview), re-exported so
# the task vocabulary stays in one place.
from hintro_shared.boardview.model import BoardSnapshot as BoardSnapshot
from hintro_shared.boardview.model import ListRef as ListRef
from hintro_shared.ordering import jittered_key_between

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
LABELS_MAX = 20
LABEL_MAX = 50
ASSIGNEES_MAX = 50
ID_MAX = 128

# Ids become map keys in the projection (``members.<userId>``) and path segments towards the
# board service, so only characters that are safe in both are accepted.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"
TASK_MOVED = "task.moved"
TASK_ASSIGNED = "task.assigned"
TASK_UNASSIGNED = "task.unassigned"
TASK_DELETED = "task.deleted"

EDITABLE_FIELDS = ("title", "description", "labels", "dueDate")


class TaskRuleError(Exception):
    """A request that is well-formed but breaks a rule (an anchor in another list, an assignee
    who is not a member). The HTTP layer answers 422 and nothing is written."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class PositionTaken(Exception):
    """Another task already holds the chosen position in that list (the writer picks another
    key and tries again)."""


@dataclass(frozen=True)
class EventContext:
    """Who caused a change and from where: copied into each event's envelope."""

    actor_id: str | None
    correlation_id: str | None = None
    origin_socket_id: str | None = None


def is_safe_id(value: str) -> bool:
    """Whether ``value`` can be used as an id key (see ``_SAFE_ID``)."""
    return bool(_SAFE_ID.match(value))


def now() -> datetime:
    """The current UTC time at the millisecond precision MongoDB stores."""
    return to_millis(datetime.now(UTC))


def to_millis(value: datetime) -> datetime:
    """``value`` in UTC truncated to milliseconds, so what is stored is what is answered."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def unique_in_order(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrence kept (labels and assignees are sets with a
    stable display order)."""
    return tuple(dict.fromkeys(values))


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
    labels: tuple[str, ...]
    due_date: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int

    def to_json(self) -> dict[str, Any]:
        """The public representation (docs/api.md, "Tasks": Task)."""
        return {
            "id": self.id,
            "boardId": self.board_id,
            "listId": self.list_id,
            "title": self.title,
            "description": self.description,
            "position": self.position,
            "assigneeIds": list(self.assignee_ids),
            "labels": list(self.labels),
            "dueDate": self.due_date,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "version": self.version,
        }

    def field_values(self) -> dict[str, Any]:
        """The editable fields by their public names, for computing what a PATCH changes."""
        return {
            "title": self.title,
            "description": self.description,
            "labels": list(self.labels),
            "dueDate": self.due_date,
        }

    def with_changes(self, changes: dict[str, Any], at: datetime) -> Task:
        """A copy with the editable ``changes`` (public names) applied and the version bumped."""
        updated = replace(self, updated_at=at, version=self.version + 1)
        if "title" in changes:
            updated = replace(updated, title=changes["title"])
        if "description" in changes:
            updated = replace(updated, description=changes["description"])
        if "labels" in changes:
            updated = replace(updated, labels=tuple(changes["labels"]))
        if "dueDate" in changes:
            updated = replace(updated, due_date=changes["dueDate"])
        return updated


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
    data = task.to_json()
    del data["id"], data["updatedAt"]
    return TaskEvent(TASK_CREATED, {**data, "taskId": task.id})


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
