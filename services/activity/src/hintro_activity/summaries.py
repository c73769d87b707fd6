"""The human sentence of each entry ("Ada moved “Fix login” from To do to Done"), free of I/O.

:func:`summarize` renders from the event and whatever :class:`~hintro_activity.domain.Names`
are known, and reports the names it had to do without, so the caller can look them up and
render again, or store the entry as unresolved and heal it when it is read. Unknown names fall
back to "Someone"/"someone", "a task", "a list".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hintro_activity.domain import NameKind, NameRef, Names

TASK_FIELDS = (
    ("title", "title"),
    ("description", "description"),
    ("labelIds", "labels"),
    ("startDate", "start date"),
    ("dueDate", "due date"),
    ("dueComplete", "completion"),
)


@dataclass(frozen=True)
class Summary:
    """A rendered sentence and the names that were missing for it."""

    text: str
    missing: frozenset[NameRef]


def quoted(title: str) -> str:
    """A title as it appears in a sentence."""
    return f"“{title}”"


def _the_list(title: str | None) -> str:
    return f"the list {quoted(title)}" if title else "a list"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


class _Namer:
    """Looks names up for one sentence and remembers which were missing."""

    def __init__(self, names: Names, actor_id: str | None, data: Mapping[str, Any]) -> None:
        self._names = names
        self._data = data
        self.actor_id = actor_id
        self.missing: set[NameRef] = set()

    def _lookup(self, kind: NameKind, ref_id: Any) -> str | None:
        if not isinstance(ref_id, str) or not ref_id:
            return None
        ref = NameRef(kind, ref_id)
        name = self._names.get(ref)
        if name is None:
            self.missing.add(ref)
        return name

    def actor(self) -> str:
        name = self._lookup("user", self.actor_id)
        return name if name is not None else "Someone"

    def user(self, user_id: Any) -> str:
        name = self._lookup("user", user_id)
        return name if name is not None else "someone"

    def possessive(self, user_id: Any) -> str:
        return f"{self.user(user_id)}'s"

    def is_actor(self, user_id: Any) -> bool:
        return self.actor_id is not None and user_id == self.actor_id

    def str_field(self, key: str) -> str | None:
        value = self._data.get(key)
        return value if isinstance(value, str) and value else None

    def list_title(self, list_id: Any) -> str | None:
        return self._lookup("list", list_id)

    def task_title(self, task_id: Any) -> str | None:
        return self._lookup("task", task_id)

    def task(self) -> str:
        """The task, quoted: its title from the event when it carries one."""
        title = self.str_field("title") or self._lookup("task", self._data.get("taskId"))
        return quoted(title) if title else "a task"

    def previous(self, kind: NameKind, ref_id: Any, new_title: str) -> str | None:
        """The title held before a rename (``None`` if unknown or not different)."""
        old = self._lookup(kind, ref_id)
        return old if old is not None and old != new_title else None


def summarize(
    event_type: str, actor_id: str | None, data: Mapping[str, Any], names: Names
) -> Summary:
    """The sentence for one event and the names it lacked."""
    n = _Namer(names, actor_id, data)
    renderer = _RENDERERS.get(event_type, _generic)
    text = renderer(event_type, n, data)
    return Summary(text, frozenset(n.missing))


# --- boards and members -----------------------------------------------------------------------


def _board_created(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title")
    return f"{n.actor()} created the board {quoted(title) if title else ''}".rstrip()


def _board_updated(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title")
    if title is not None:
        more = " and changed its description" if "description" in data else ""
        return f"{n.actor()} renamed the board to {quoted(title)}{more}"
    if "description" in data:
        return f"{n.actor()} changed the board's description"
    return f"{n.actor()} updated the board"


def _member_added(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    role, user_id = data.get("role"), data.get("userId")
    if n.is_actor(user_id):
        return f"{n.actor()} joined the board as {role}"
    return f"{n.actor()} added {n.user(user_id)} as {role}"


def _member_role_changed(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    role, previous, user_id = data.get("role"), data.get("previousRole"), data.get("userId")
    if role == "owner":  # the first half of an ownership transfer
        return f"{n.actor()} made {n.user(user_id)} the owner"
    whose = "their" if n.is_actor(user_id) else n.possessive(user_id)
    if previous:
        return f"{n.actor()} changed {whose} role from {previous} to {role}"
    return f"{n.actor()} changed {whose} role to {role}"


def _member_removed(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    user_id = data.get("userId")
    if n.is_actor(user_id):
        return f"{n.actor()} left the board"
    return f"{n.actor()} removed {n.user(user_id)} from the board"


# --- labels -----------------------------------------------------------------------------------


def _label_created(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    name, color = n.str_field("name"), n.str_field("color")
    label = f"the label {quoted(name)}" if name else "a label"
    return f"{n.actor()} created {label}" + (f" ({color})" if color else "")


def _label_updated(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    name, color = n.str_field("name"), n.str_field("color")
    if name is not None:
        more = f" and made it {color}" if color else ""
        return f"{n.actor()} renamed a label to {quoted(name)}{more}"
    if color is not None:
        return f"{n.actor()} made a label {color}"
    return f"{n.actor()} changed a label"


def _label_deleted(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    name = n.str_field("name")
    return (
        f"{n.actor()} deleted the label {quoted(name)}" if name else f"{n.actor()} deleted a label"
    )


# --- lists ------------------------------------------------------------------------------------


def _list_created(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title")
    return (
        f"{n.actor()} created the list {quoted(title)}" if title else f"{n.actor()} created a list"
    )


def _list_updated(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title")
    moved = "position" in data
    if title is not None:
        old = n.previous("previous_list", data.get("listId"), title)
        renamed = (
            f"renamed the list {quoted(old)} to {quoted(title)}"
            if old
            else f"renamed a list to {quoted(title)}"
        )
        return f"{n.actor()} {renamed}{' and moved it' if moved else ''}"
    current = n.list_title(data.get("listId"))
    return f"{n.actor()} {'moved' if moved else 'updated'} {_the_list(current)}"


def _list_deleted(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title") or n.list_title(data.get("listId"))
    return (
        f"{n.actor()} deleted the list {quoted(title)}" if title else f"{n.actor()} deleted a list"
    )


# --- tasks ------------------------------------------------------------------------------------


def _task_created(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    where = n.list_title(data.get("listId"))
    return f"{n.actor()} created {n.task()}" + (f" in {where}" if where else "")


def _task_updated(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    changed = [label for key, label in TASK_FIELDS if key in data]
    title = n.str_field("title")
    if title is not None:
        old = n.previous("previous_task", data.get("taskId"), title)
        renamed = (
            f"renamed {quoted(old)} to {quoted(title)}"
            if old
            else f"renamed a task to {quoted(title)}"
        )
        others = [label for label in changed if label != "title"]
        more = f" and changed its {_join(others)}" if others else ""
        return f"{n.actor()} {renamed}{more}"
    task = n.task_title(data.get("taskId"))
    the_task = quoted(task) if task else "a task"
    if changed == ["due date"]:
        due = data.get("dueDate")
        if due is None:
            return f"{n.actor()} removed the due date of {the_task}"
        return f"{n.actor()} set the due date of {the_task} to {str(due)[:10]}"
    if changed == ["start date"]:
        start = data.get("startDate")
        if start is None:
            return f"{n.actor()} removed the start date of {the_task}"
        return f"{n.actor()} set the start date of {the_task} to {str(start)[:10]}"
    if changed == ["completion"]:
        state = "complete" if data.get("dueComplete") else "incomplete"
        return f"{n.actor()} marked {the_task} {state}"
    if changed:
        return f"{n.actor()} changed the {_join(changed)} of {the_task}"
    return f"{n.actor()} updated {the_task}"


def _task_moved(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    source, target = data.get("fromListId"), data.get("toListId")
    task = n.task()
    if source == target:
        where = n.list_title(target)
        return f"{n.actor()} reordered {task} " + (f"in {where}" if where else "within its list")
    origin = n.list_title(source) or "a list"
    destination = n.list_title(target) or "another list"
    return f"{n.actor()} moved {task} from {origin} to {destination}"


def _task_assigned(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    user_id = data.get("userId")
    who = "themselves" if n.is_actor(user_id) else n.user(user_id)
    return f"{n.actor()} assigned {who} to {n.task()}"


def _task_unassigned(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    user_id = data.get("userId")
    who = "themselves" if n.is_actor(user_id) else n.user(user_id)
    return f"{n.actor()} unassigned {who} from {n.task()}"


def _task_deleted(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    return f"{n.actor()} deleted {n.task()}"


# --- comments ---------------------------------------------------------------------------------


def _comment_created(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    return f"{n.actor()} commented on {n.task()}"


def _comment_updated(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    return f"{n.actor()} edited a comment on {n.task()}"


def _comment_deleted(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    author = data.get("authorId")
    whose = "their" if n.is_actor(author) else n.possessive(author)
    return f"{n.actor()} deleted {whose} comment on {n.task()}"


# --- archive and restore ----------------------------------------------------------------------


def _board_archived(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    return f"{n.actor()} archived the board"


def _board_restored(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    return f"{n.actor()} restored the board"


def _list_archived(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title") or n.list_title(data.get("listId"))
    return f"{n.actor()} archived {_the_list(title)}"


def _list_restored(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    title = n.str_field("title") or n.list_title(data.get("listId"))
    return f"{n.actor()} restored {_the_list(title)}"


def _task_archived(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    with_list = " with its list" if data.get("withList") else ""
    return f"{n.actor()} archived {n.task()}{with_list}"


def _task_restored(_: str, n: _Namer, data: Mapping[str, Any]) -> str:
    if data.get("withList"):
        return f"{n.actor()} restored {n.task()} with its list"
    if data.get("fromListId"):
        where = n.list_title(data.get("listId"))
        return f"{n.actor()} restored {n.task()} to " + (where or "another list")
    return f"{n.actor()} restored {n.task()}"


def _generic(event_type: str, n: _Namer, data: Mapping[str, Any]) -> str:
    """A type this build does not know (a newer producer's): say at least what changed."""
    family = event_type.split(".", 1)[0]
    if family in ("task", "comment"):
        return f"{n.actor()} changed {n.task()}"
    if family == "list":
        title = n.str_field("title") or n.list_title(data.get("listId"))
        return (
            f"{n.actor()} changed the list {quoted(title)}"
            if title
            else f"{n.actor()} changed a list"
        )
    return f"{n.actor()} changed the board"


_RENDERERS = {
    "board.created": _board_created,
    "board.updated": _board_updated,
    "board.member_added": _member_added,
    "board.member_role_changed": _member_role_changed,
    "board.member_removed": _member_removed,
    "board.label_created": _label_created,
    "board.label_updated": _label_updated,
    "board.label_deleted": _label_deleted,
    "list.created": _list_created,
    "list.updated": _list_updated,
    "list.deleted": _list_deleted,
    "task.created": _task_created,
    "task.updated": _task_updated,
    "task.moved": _task_moved,
    "task.assigned": _task_assigned,
    "task.unassigned": _task_unassigned,
    "task.deleted": _task_deleted,
    "comment.created": _comment_created,
    "comment.updated": _comment_updated,
    "comment.deleted": _comment_deleted,
    "board.archived": _board_archived,
    "board.restored": _board_restored,
    "list.archived": _list_archived,
    "list.restored": _list_restored,
    "task.archived": _task_archived,
    "task.restored": _task_restored,
}
