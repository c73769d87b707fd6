"""The notification rules, free of I/O: the kinds of notification, who receives one for an
event, the deterministic ids that make every effect idempotent, the e-mail preference, the
due-soon window, and the sentence a notification reads as (the e-mail body; the web app
renders its own from the same fields).

A notification is for one user, about one event (or, for a due-soon reminder, one task's due
date). Its id is derived from that (event id or task + due date) and the user, so a redelivered
event or a second reminder poll finds the notification already there and adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hintro_shared.ids import is_safe_id as is_safe_id
from hintro_shared.refusals import RuleBroken

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
DUE_SOON_MS = 24 * 3600 * 1000
"""A reminder goes out once a task's due date is this close (and not yet past)."""


class Kind(StrEnum):
    """What a notification is about (``kind`` on the wire)."""

    TASK_ASSIGNED = "task.assigned"
    TASK_MOVED = "task.moved"
    TASK_COMMENTED = "task.commented"
    COMMENT_MENTION = "comment.mention"
    TASK_DUE_SOON = "task.due_soon"
    BOARD_MEMBER_ADDED = "board.member_added"
    BOARD_MEMBER_REMOVED = "board.member_removed"
    WEBHOOK_DISABLED = "webhook.endpoint_disabled"


class EmailPreference(StrEnum):
    """How a user wants notifications by e-mail."""

    OFF = "off"
    IMMEDIATE = "immediate"
    DAILY = "daily"


class WatchTarget(StrEnum):
    """What a user may watch."""

    TASK = "task"
    BOARD = "board"


@dataclass(frozen=True)
class Notification:
    """One user's notification."""

    id: str
    user_id: str
    kind: Kind
    board_id: str | None
    task_id: str | None
    actor_id: str | None
    created_at: str
    read: bool
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """A page of a user's notifications, newest first, and what is still unread."""

    items: list[Notification]
    next: tuple[int, str] | None
    unread_count: int


def notification_id(source: str, user_id: str) -> str:
    """The id of the notification ``source`` (an event id, or a reminder key) gives
    ``user_id``: 32 hex characters like every issued id, the same on every delivery."""
    return hashlib.sha256(f"{source}\x00{user_id}".encode()).hexdigest()[:32]


def reminder_key(task_id: str, due_ms: int) -> str:
    """What a due-soon reminder is about: one task's one due date (a new date, a new one)."""
    return f"due:{task_id}:{due_ms}"


def recipients(actor_id: str | None, *groups: Iterable[str]) -> list[str]:
    """Everyone in ``groups`` once, in order of first appearance, except the actor: nobody is
    notified of their own action."""
    seen: set[str] = set()
    chosen: list[str] = []
    for group in groups:
        for user_id in group:
            if user_id != actor_id and user_id not in seen and is_safe_id(user_id):
                seen.add(user_id)
                chosen.append(user_id)
    return chosen


def due_soon(due_ms: int, now_ms: int, window_ms: int = DUE_SOON_MS) -> bool:
    """Whether a due date is within the reminder window: ahead, and at most ``window_ms``."""
    return now_ms < due_ms <= now_ms + window_ms


def require_target(target: str, target_id: str) -> WatchTarget:
    """The watch target named by a route, or a refusal."""
    try:
        kind = WatchTarget(target)
    except ValueError:
        raise RuleBroken(
            ("path", "target"), "unknown target", detail="Watch a task or a board."
        ) from None
    if not is_safe_id(target_id):
        raise RuleBroken(("path", "id"), "invalid id", detail="The id is not valid.")
    return kind


def _quoted(value: object, fallback: str) -> str:
    return f"“{value}”" if isinstance(value, str) and value else fallback


def sentence(notification: Notification, actor_name: str | None) -> str:
    """The notification as a sentence, e.g. Ada assigned you to “Fix login”."""
    who = actor_name or "Someone"
    data = notification.data
    task = _quoted(data.get("taskTitle"), "a card")
    board = _quoted(data.get("boardTitle"), "a board")
    match notification.kind:
        case Kind.TASK_ASSIGNED:
            return f"{who} assigned you to {task} on {board}."
        case Kind.TASK_MOVED:
            to_list = _quoted(data.get("toListTitle"), "another list")
            return f"{who} moved {task} to {to_list} on {board}."
        case Kind.TASK_COMMENTED:
            return f"{who} commented on {task} on {board}."
        case Kind.COMMENT_MENTION:
            return f"{who} mentioned you in a comment on {task} on {board}."
        case Kind.TASK_DUE_SOON:
            return f"{task} on {board} is due within 24 hours."
        case Kind.BOARD_MEMBER_ADDED:
            return f"{who} added you to {board}."
        case Kind.BOARD_MEMBER_REMOVED:
            return f"{who} removed you from {board}."
        case Kind.WEBHOOK_DISABLED:
            url = _quoted(data.get("url"), "an endpoint")
            return f"The webhook to {url} on {board} was disabled: it kept failing."


def link(notification: Notification, public_url: str) -> str:
    """Where the notification leads in the web app (the board, with the card opened)."""
    base = public_url.rstrip("/")
    if notification.kind is Kind.BOARD_MEMBER_REMOVED or notification.board_id is None:
        return f"{base}/"
    path = f"{base}/boards/{notification.board_id}"
    return f"{path}/cards/{notification.task_id}" if notification.task_id else path
