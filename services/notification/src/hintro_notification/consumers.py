"""Events in: the events that owe someone a notification (``task.assigned``, ``task.moved``,
``board.member_added``, ``board.member_removed``, ``comment.created``,
``webhook.endpoint_disabled``), and those that keep
the projections the rules read current (users' names and e-mail addresses, board and list
titles, tasks' titles, assignees and due dates, the board view for access).

The projections take an event in *before* the notifications are made, so a task created and
assigned in one go has its title in the assignment's notification. Every effect is idempotent
on its own (notification ids derive from the event id; projections are version-guarded), so
redeliveries, retries and concurrent handling are harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from hintro_notification.domain import Kind
from hintro_notification.repository import Facts, Watches
from hintro_notification.service import NotificationService, cause_of
from hintro_shared.boardview import ProjectionWriter, apply_board_event
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.timeutil import epoch_millis

_log = logging.getLogger(__name__)

USER_REGISTERED = "user.registered"
USER_RENAMED = "user.renamed"
COMMENT_CREATED = "comment.created"
COMMENT_UPDATED = "comment.updated"
WEBHOOK_DISABLED = "webhook.endpoint_disabled"
ROUTING_KEYS = (
    USER_REGISTERED,
    USER_RENAMED,
    "board.*",
    "list.*",
    "task.*",
    COMMENT_CREATED,
    COMMENT_UPDATED,
    WEBHOOK_DISABLED,
)


def _due_ms(value: Any) -> int:
    return 0 if value is None else epoch_millis(value)


class NotificationEvents:
    """The handler the service's :class:`~hintro_shared.events.EventConsumer` calls."""

    def __init__(
        self,
        service: NotificationService,
        facts: Facts,
        watches: Watches,
        board_view: ProjectionWriter,
    ) -> None:
        self._service = service
        self._facts = facts
        self._watches = watches
        self._board_view = board_view

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply one event; raising makes the consumer base retry it, then dead-letter it."""
        at_ms = epoch_millis(envelope.time)
        if envelope.type in (COMMENT_CREATED, COMMENT_UPDATED):
            await self._comment(envelope, at_ms)
            return
        data = await apply_board_event(self._board_view, envelope)
        await self._project(data, at_ms)
        cause = cause_of(envelope, at_ms)
        s = self._service
        match data:
            case ev.TaskAssigned():
                await s.assigned(cause, data.task_id, data.board_id, data.user_id)
            case ev.TaskMoved():
                await s.moved(cause, data.task_id, data.board_id, data.to_list_id)
            case ev.MemberAdded():
                await s.membership(cause, Kind.BOARD_MEMBER_ADDED, data.board_id, data.user_id)
            case ev.MemberRemoved():
                await s.membership(cause, Kind.BOARD_MEMBER_REMOVED, data.board_id, data.user_id)
                await self._watches.forget_member(data.user_id, data.board_id)
            case ev.WebhookEndpointDisabled():
                await s.webhook_disabled(
                    cause, data.board_id, data.user_id, data.endpoint_id, data.url
                )
            case _:
                pass

    async def _project(self, data: ev.EventData | None, at_ms: int) -> None:
        f = self._facts
        match data:
            case ev.UserRegistered():
                await f.set_user(data.user_id, email=data.email, name=data.name, at_ms=at_ms)
            case ev.UserRenamed():
                await f.set_user(data.user_id, email=None, name=data.name, at_ms=at_ms)
            case ev.BoardCreated() | ev.BoardUpdated():
                if data.title is not None:
                    await f.set_title(
                        "board", data.board_id, data.board_id, data.title, data.version
                    )
            case ev.BoardDeleted():
                await f.forget_board(data.board_id)
                await self._watches.forget_board(data.board_id)
            case ev.ListCreated() | ev.ListUpdated():
                if data.title is not None:
                    await f.set_title("list", data.list_id, data.board_id, data.title, data.version)
            case ev.TaskCreated():  # task.restored too: the whole task, back
                await f.set_task_title(data.task_id, data.board_id, data.title, data.version)
                for user_id in data.assignee_ids:
                    await f.set_assignee(data.task_id, data.board_id, user_id, True, data.version)
                await f.set_due(
                    data.task_id,
                    data.board_id,
                    _due_ms(data.due_date),
                    data.due_complete,
                    data.version,
                )
            case ev.TaskArchived():
                # An archived card is reminded of nothing; its restore brings its date back.
                await f.set_due(data.task_id, data.board_id, 0, True, data.version)
            case ev.TaskUpdated():
                if data.title is not None:
                    await f.set_task_title(data.task_id, data.board_id, data.title, data.version)
                if "due_date" in data.model_fields_set:
                    await f.set_due(
                        data.task_id, data.board_id, _due_ms(data.due_date), False, data.version
                    )
                if data.due_complete is not None:
                    await f.set_due_complete(
                        data.task_id, data.board_id, data.due_complete, data.version
                    )
            case ev.TaskMoved():
                if data.title is not None:
                    await f.set_task_title(data.task_id, data.board_id, data.title, data.version)
            case ev.TaskAssigned() | ev.TaskUnassigned():
                on = isinstance(data, ev.TaskAssigned)
                await f.set_assignee(data.task_id, data.board_id, data.user_id, on, data.version)
            case ev.TaskDeleted():
                await f.delete_task(data.task_id, data.board_id)
            case _:
                pass

    async def _comment(self, envelope: EventEnvelope, at_ms: int) -> None:
        """``comment.created`` and ``comment.updated`` (produced by the comments work; read
        here as plain data, by the keys docs/events.md lists: ``commentId, taskId, boardId,
        mentions``, ``addedMentions`` of an edit, ``title`` the task's title). A new comment
        notifies the mentioned and the task's followers; an edit only those it newly mentions.
        The text is not carried, so a notification has no excerpt."""
        data = envelope.data
        task_id, board_id = data.get("taskId"), data.get("boardId") or envelope.board_id
        if not isinstance(task_id, str) or not isinstance(board_id, str):
            _log.warning("comment event without task or board", extra={"eventId": envelope.id})
            return
        title, version = data.get("title"), data.get("taskVersion")
        if isinstance(title, str) and title and isinstance(version, int):
            await self._facts.set_task_title(task_id, board_id, title, version)
        created = envelope.type == COMMENT_CREATED
        named = data.get("mentions" if created else "addedMentions") or []
        mentions = [m for m in named if isinstance(m, str)]
        comment_id = data.get("commentId")
        await self._service.commented(
            cause_of(envelope, at_ms),
            task_id,
            board_id,
            comment_id if isinstance(comment_id, str) else None,
            mentions,
            None,
            followers=created,
        )
