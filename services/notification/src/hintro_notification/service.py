"""The notification service's use cases over small interfaces: turning an event into the
notifications it owes (one per recipient, never the actor), the due-soon reminders, a user's
list with its unread count, marking read, watching, and the e-mail preference."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from hintro_notification.domain import (
    DUE_SOON_MS,
    EmailPreference,
    Kind,
    Notification,
    Page,
    WatchTarget,
    notification_id,
    recipients,
    reminder_key,
)
from hintro_notification.repository import Document, assignees_of
from hintro_shared.caller import Caller
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.fastpath import Outbox, SweeperOnly
from hintro_shared.refusals import NotFound
from hintro_shared.timeutil import epoch_millis, rfc3339, stored_time

_log = logging.getLogger(__name__)

SOURCE = "hintro/notification"
NOTIFICATION_CREATED = "notification.created"


class Store(Protocol):
    """Notifications (see :class:`~hintro_notification.repository.NotificationStore`)."""

    async def insert(self, doc: Document, event: EventEnvelope) -> bool: ...

    async def page(
        self, user_id: str, limit: int, before: tuple[int, str] | None
    ) -> list[Notification]: ...

    async def unread_count(self, user_id: str) -> int: ...

    async def mark_read(self, user_id: str, notification_id: str, now_ms: int) -> bool: ...

    async def mark_all_read(self, user_id: str, now_ms: int) -> int: ...


class FactReader(Protocol):
    """What is known of users, titles and tasks (see ``Facts``)."""

    async def task(self, task_id: str) -> Document | None: ...

    async def title(self, kind: str, id_: str | None) -> str | None: ...

    async def reminders_owed(self, horizon_ms: int, limit: int) -> list[Document]: ...

    async def reminder_done(self, task_id: str, due_ms: int) -> None: ...

    async def names(self, user_ids: Sequence[str]) -> dict[str, str]: ...


class WatchStore(Protocol):
    """Watches (see ``Watches``)."""

    async def watch(
        self, user_id: str, target: WatchTarget, target_id: str, board_id: str
    ) -> None: ...

    async def unwatch(self, user_id: str, target: WatchTarget, target_id: str) -> None: ...

    async def is_watching(self, user_id: str, target: WatchTarget, target_id: str) -> bool: ...

    async def watchers(self, target: WatchTarget, target_id: str) -> list[str]: ...


class PreferenceStore(Protocol):
    """E-mail preferences (see ``Preferences``)."""

    async def email(self, user_id: str) -> EmailPreference: ...

    async def set_email(self, user_id: str, preference: EmailPreference, now_ms: int) -> None: ...


class Readers(Protocol):
    """Whether a caller may read a board (404 otherwise; see ``boardview.BoardReaders``)."""

    async def require_member(self, board_id: str, caller: Caller) -> object: ...


@dataclass(frozen=True)
class Cause:
    """What a notification comes from: an event (or a reminder), who did it and when."""

    source_id: str
    actor_id: str | None
    at_ms: int
    correlation_id: str | None = None


def millis_text(ms: int) -> str:
    """Milliseconds since the epoch as the wire's RFC 3339 text."""
    return rfc3339(datetime.fromtimestamp(ms / 1000, UTC))


def notification_json(n: Notification) -> dict[str, Any]:
    """A notification as the API, the push and the event carry it."""
    return {
        "id": n.id,
        "userId": n.user_id,
        "kind": n.kind.value,
        "boardId": n.board_id,
        "taskId": n.task_id,
        "actorId": n.actor_id,
        "createdAt": n.created_at,
        "read": n.read,
        "data": dict(n.data),
    }


class NotificationService:
    """Creating and reading notifications."""

    def __init__(
        self,
        store: Store,
        facts: FactReader,
        watches: WatchStore,
        preferences: PreferenceStore,
        readers: Readers,
        *,
        outbox: Outbox | None = None,
        due_soon_ms: int = DUE_SOON_MS,
    ) -> None:
        self._store = store
        self._facts = facts
        self._watches = watches
        self._preferences = preferences
        self._readers = readers
        self._outbox = outbox or SweeperOnly()
        self._due_soon_ms = due_soon_ms

    # --- creating ------------------------------------------------------------------------------

    async def notify(
        self,
        cause: Cause,
        kind: Kind,
        users: Sequence[str],
        *,
        board_id: str | None,
        task_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        """One notification of ``kind`` for each of ``users``; returns how many were new."""
        created = 0
        if users and cause.actor_id is not None:
            # The actor's name as known now, so a list renders without a lookup per row.
            name = (await self._facts.names([cause.actor_id])).get(cause.actor_id)
            data = {**(data or {}), "actorName": name}
        for user_id in users:
            n = Notification(
                id=notification_id(cause.source_id, user_id),
                user_id=user_id,
                kind=kind,
                board_id=board_id,
                task_id=task_id,
                actor_id=cause.actor_id,
                created_at=millis_text(cause.at_ms),
                read=False,
                data={k: v for k, v in (data or {}).items() if v is not None},
            )
            owed = await self._preferences.email(user_id) is EmailPreference.IMMEDIATE
            doc: Document = {
                "_id": n.id,
                "userId": user_id,
                "kind": kind.value,
                "boardId": board_id,
                "taskId": task_id,
                "actorId": cause.actor_id,
                "data": dict(n.data),
                "createdAt": cause.at_ms,
                "readAt": 0,
                "email": int(owed),
            }
            event = new_event(
                NOTIFICATION_CREATED,
                source=SOURCE,
                data=notification_json(n),
                actor_id=cause.actor_id,
                correlation_id=cause.correlation_id,
            )
            if await self._store.insert(doc, event):
                self._outbox.written(n.id)
                created += 1
        return created

    async def _task_context(self, task_id: str, board_id: str) -> dict[str, Any]:
        task = await self._facts.task(task_id)
        return {
            "taskTitle": (task or {}).get("title"),
            "boardTitle": await self._facts.title("board", board_id),
        }

    async def _task_audience(self, task_id: str, board_id: str) -> list[str]:
        """Who follows a task: its assignees, its watchers, its board's watchers."""
        task = await self._facts.task(task_id)
        return [
            *assignees_of(task),
            *await self._watches.watchers(WatchTarget.TASK, task_id),
            *await self._watches.watchers(WatchTarget.BOARD, board_id),
        ]

    async def assigned(self, cause: Cause, task_id: str, board_id: str, user_id: str) -> int:
        """``user_id`` was assigned to the task."""
        return await self.notify(
            cause,
            Kind.TASK_ASSIGNED,
            recipients(cause.actor_id, [user_id]),
            board_id=board_id,
            task_id=task_id,
            data=await self._task_context(task_id, board_id),
        )

    async def moved(self, cause: Cause, task_id: str, board_id: str, to_list_id: str) -> int:
        """The task moved: its followers hear of it."""
        audience = recipients(cause.actor_id, await self._task_audience(task_id, board_id))
        data = await self._task_context(task_id, board_id)
        data["toListTitle"] = await self._facts.title("list", to_list_id)
        return await self.notify(
            cause, Kind.TASK_MOVED, audience, board_id=board_id, task_id=task_id, data=data
        )

    async def commented(
        self,
        cause: Cause,
        task_id: str,
        board_id: str,
        comment_id: str | None,
        mentions: Sequence[str],
        excerpt: str | None,
        *,
        followers: bool = True,
    ) -> int:
        """A comment on the task: the mentioned hear of the mention, the task's other
        followers (when ``followers``) of the comment; each person once."""
        data = await self._task_context(task_id, board_id)
        data.update(commentId=comment_id, excerpt=excerpt)
        mentioned = recipients(cause.actor_id, mentions)
        audience = await self._task_audience(task_id, board_id) if followers else []
        others = [
            user_id for user_id in recipients(cause.actor_id, audience) if user_id not in mentioned
        ]
        created = await self.notify(
            cause, Kind.COMMENT_MENTION, mentioned, board_id=board_id, task_id=task_id, data=data
        )
        followed = Cause(
            f"{cause.source_id}:follow", cause.actor_id, cause.at_ms, cause.correlation_id
        )
        return created + await self.notify(
            followed, Kind.TASK_COMMENTED, others, board_id=board_id, task_id=task_id, data=data
        )

    async def membership(self, cause: Cause, kind: Kind, board_id: str, user_id: str) -> int:
        """``user_id`` was added to or removed from the board."""
        data = {"boardTitle": await self._facts.title("board", board_id)}
        return await self.notify(
            cause, kind, recipients(cause.actor_id, [user_id]), board_id=board_id, data=data
        )

    async def webhook_disabled(
        self, cause: Cause, board_id: str, user_id: str, endpoint_id: str, url: str
    ) -> int:
        """A webhook endpoint ``user_id`` registered was disabled after failing for too long
        (the clock did it, so the one who registered it hears of it even if they caused
        the event)."""
        data = {
            "boardTitle": await self._facts.title("board", board_id),
            "url": url,
            "endpointId": endpoint_id,
        }
        return await self.notify(
            Cause(cause.source_id, None, cause.at_ms, cause.correlation_id),
            Kind.WEBHOOK_DISABLED,
            recipients(None, [user_id]),
            board_id=board_id,
            data=data,
        )

    async def remind_due(self, now_ms: int, batch: int = 100) -> int:
        """Send the reminders owed for tasks due within the window; returns how many
        notifications were created. Safe to run on every replica at once and after a crash:
        each reminder's notifications have derived ids, and the task's flag is cleared only
        after they are stored."""
        created = 0
        for task in await self._facts.reminders_owed(now_ms + self._due_soon_ms, batch):
            due_ms, task_id, board_id = int(task["dueAt"]), task["_id"], task["boardId"]
            if due_ms > now_ms:
                key = reminder_key(task_id, due_ms)
                audience = recipients(None, await self._task_audience(task_id, board_id))
                data = {
                    "taskTitle": task.get("title"),
                    "boardTitle": await self._facts.title("board", board_id),
                    "dueDate": millis_text(due_ms),
                }
                created += await self.notify(
                    Cause(key, None, now_ms),
                    Kind.TASK_DUE_SOON,
                    audience,
                    board_id=board_id,
                    task_id=task_id,
                    data=data,
                )
            # Past due dates are not reminded of (the reminder would come too late).
            await self._facts.reminder_done(task_id, due_ms)
        return created

    # --- reading -------------------------------------------------------------------------------

    async def page(self, caller: Caller, limit: int, before: tuple[int, str] | None) -> Page:
        """The caller's notifications newest first, older than ``before`` (the previous
        page's last (createdAt ms, id)), and the caller's unread count."""
        items = await self._store.page(caller.user_id, limit + 1, before)
        last = items[limit - 1] if len(items) > limit else None
        return Page(
            items=items[:limit],
            next=None if last is None else (epoch_millis(stored_time(last.created_at)), last.id),
            unread_count=await self._store.unread_count(caller.user_id),
        )

    async def mark_read(self, caller: Caller, notification_id: str, now_ms: int) -> None:
        if not await self._store.mark_read(caller.user_id, notification_id, now_ms):
            raise NotFound("notification")

    async def mark_all_read(self, caller: Caller, now_ms: int) -> int:
        return await self._store.mark_all_read(caller.user_id, now_ms)

    async def unread_count(self, caller: Caller) -> int:
        return await self._store.unread_count(caller.user_id)

    # --- watching ------------------------------------------------------------------------------

    async def _board_of(self, caller: Caller, target: WatchTarget, target_id: str) -> str:
        """The board the target is on, once the caller is known to be its member (404)."""
        if target is WatchTarget.BOARD:
            board_id = target_id
        else:
            task = await self._facts.task(target_id)
            if task is None:
                raise NotFound("task")
            board_id = str(task["boardId"])
        await self._readers.require_member(board_id, caller)
        return board_id

    async def watch(self, caller: Caller, target: WatchTarget, target_id: str) -> None:
        board_id = await self._board_of(caller, target, target_id)
        await self._watches.watch(caller.user_id, target, target_id, board_id)

    async def unwatch(self, caller: Caller, target: WatchTarget, target_id: str) -> None:
        await self._board_of(caller, target, target_id)
        await self._watches.unwatch(caller.user_id, target, target_id)

    async def watching(self, caller: Caller, target: WatchTarget, target_id: str) -> bool:
        await self._board_of(caller, target, target_id)
        return await self._watches.is_watching(caller.user_id, target, target_id)

    # --- preferences ---------------------------------------------------------------------------

    async def email_preference(self, caller: Caller) -> EmailPreference:
        return await self._preferences.email(caller.user_id)

    async def set_email_preference(
        self, caller: Caller, preference: EmailPreference, now_ms: int
    ) -> None:
        await self._preferences.set_email(caller.user_id, preference, now_ms)


def cause_of(envelope: EventEnvelope, at_ms: int) -> Cause:
    """The cause of the notifications an event owes."""
    return Cause(envelope.id, envelope.actor_id, at_ms, envelope.correlation_id)
