"""Events in: the board service's board.*, board.member_* and list.* events keep the
projection current, deleted boards and lists take their tasks with them (each task with its
own ``task.deleted``), archived lists take their live tasks into the archive and restored
lists bring back exactly those (``task.archived`` / ``task.restored`` each), a member who
left or was removed is taken off the board's tasks (``task.unassigned`` each), and a deleted
label is taken off the board's tasks (``task.updated`` each); every effect is caused by the
triggering event's actor and correlated with it.

Every effect is idempotent on its own document (version guards in the shared
:mod:`hintro_shared.boardview` projection, final tombstones, cascades that find nothing the
second time), so redeliveries, retries and the consumer's concurrent handling (prefetch > 1,
hence any order) are harmless.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hintro_shared.boardview.events import ROUTING_KEYS as BOARD_ROUTING_KEYS
from hintro_shared.boardview.events import ProjectionWriter, apply_board_event
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope
from hintro_task.domain import EventContext

_log = logging.getLogger(__name__)

# The board view's events, and the service's own task.deleted: a deleted task's comments go
# with it (the delete use case removes them too; this is the guarantee after a crash).
ROUTING_KEYS = (*BOARD_ROUTING_KEYS, "task.deleted")


class TaskCascade(Protocol):
    """Deleting the tasks of something deleted (see ``TaskService``)."""

    async def delete_list_tasks(self, list_id: str, cause: EventContext) -> int: ...

    async def delete_board_tasks(self, board_id: str, cause: EventContext) -> int: ...

    async def archive_list_tasks(self, list_id: str, cause: EventContext) -> int: ...

    async def restore_list_tasks(self, list_id: str, cause: EventContext) -> int: ...


class CacheInvalidation(Protocol):
    """The board task collections' cache (see :mod:`hintro_task.cache`)."""

    async def invalidate(self, board_id: str) -> None: ...


class Departures(Protocol):
    """Unassigning a departed member (see ``TaskService``)."""

    async def unassign_departed(self, board_id: str, user_id: str, ctx: EventContext) -> int: ...


class LabelDetach(Protocol):
    """Taking a deleted label off the board's tasks (see ``TaskService``)."""

    async def detach_label(self, board_id: str, label_id: str, ctx: EventContext) -> int: ...


class CommentCleanup(Protocol):
    """Removing a deleted task's comments (see ``CommentRepository``)."""

    async def delete_of_task(self, task_id: str) -> int: ...


class BoardEventHandler:
    """Applies one board-service event to the projection and the tasks."""

    def __init__(
        self,
        projection: ProjectionWriter,
        tasks: TaskCascade,
        cache: CacheInvalidation,
        departures: Departures,
        labels: LabelDetach | None = None,
        comments: CommentCleanup | None = None,
    ) -> None:
        self._projection = projection
        self._tasks = tasks
        self._cache = cache
        self._departures = departures
        self._labels = labels

        self._comments = comments

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply ``envelope``; unknown types (a newer producer's) are ignored."""
        # The projection first (a deleted board or list is tombstoned, so access is refused
        # before its tasks go), then the cascades.
        data = await apply_board_event(self._projection, envelope)
        cause = EventContext(
            actor_id=envelope.actor_id,
            correlation_id=envelope.correlation_id,
            origin_socket_id=envelope.origin_socket_id,
        )
        match data:
            case ev.BoardDeleted():
                removed = await self._tasks.delete_board_tasks(data.board_id, cause)
                _log.info("board deleted", extra={"boardId": data.board_id, "tasks": removed})
            case ev.ListDeleted():
                removed = await self._tasks.delete_list_tasks(data.list_id, cause)
                _log.info("list deleted", extra={"listId": data.list_id, "tasks": removed})
            case ev.TaskDeleted():
                if self._comments is not None:
                    await self._comments.delete_of_task(data.task_id)
            case ev.ListArchived():
                count = await self._tasks.archive_list_tasks(data.list_id, cause)
                _log.info("list archived", extra={"listId": data.list_id, "tasks": count})
            case ev.ListRestored():
                count = await self._tasks.restore_list_tasks(data.list_id, cause)
                _log.info("list restored", extra={"listId": data.list_id, "tasks": count})
            case ev.MemberRemoved():
                # No origin socket: every open client, the remover's included, must see it.
                ctx = EventContext(
                    actor_id=envelope.actor_id or data.user_id,
                    correlation_id=envelope.correlation_id,
                )
                count = await self._departures.unassign_departed(data.board_id, data.user_id, ctx)
                _log.info(
                    "member left; unassigned",
                    extra={"boardId": data.board_id, "userId": data.user_id, "tasks": count},
                )
            case ev.LabelDeleted() if self._labels is not None:
                # The deleter's socket already took the label off its cards: spare it.
                count = await self._labels.detach_label(data.board_id, data.label_id, cause)
                _log.info(
                    "label deleted; detached",
                    extra={"boardId": data.board_id, "labelId": data.label_id, "tasks": count},
                )
            case _:
                pass
        if isinstance(
            data,
            ev.ListCreated
            | ev.ListUpdated
            | ev.ListDeleted
            | ev.BoardDeleted
            | ev.ListArchived
            | ev.ListRestored,
        ):
            # List order decides the order of ?all=true; a cascade changes its content.
            await self._cache.invalidate(data.board_id)
