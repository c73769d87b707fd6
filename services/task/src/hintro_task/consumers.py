"""Events in: the board service's board.*, board.member_* and list.* events keep the
projection current, and deleted boards and lists take their tasks with them.

Every effect is idempotent on its own document (version guards in the shared
:mod:`hintro_shared.boardview` projection, final tombstones, cascades that find nothing the
second time), so redeliveries, retries and the consumer's concurrent handling (prefetch > 1,
hence any order) are harmless.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hintro_shared.boardview.events import ROUTING_KEYS as ROUTING_KEYS
from hintro_shared.boardview.events import ProjectionWriter, apply_board_event
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope

_log = logging.getLogger(__name__)


class TaskCascade(Protocol):
    """Removing the tasks of something deleted (see ``TaskRepository``)."""

    async def purge_list(self, list_id: str) -> int: ...

    async def purge_board(self, board_id: str) -> int: ...


class BoardEventHandler:
    """Applies one board-service event to the projection and the tasks."""

    def __init__(self, projection: ProjectionWriter, tasks: TaskCascade) -> None:
        self._projection = projection
        self._tasks = tasks

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply ``envelope``; unknown types (a newer producer's) are ignored."""
        # The projection first (a deleted board or list is tombstoned, so access is refused
        # before its tasks go), then the cascades.
        data = await apply_board_event(self._projection, envelope)
        match data:
            case ev.BoardDeleted():
                removed = await self._tasks.purge_board(data.board_id)
                _log.info("board deleted", extra={"boardId": data.board_id, "tasks": removed})
            case ev.ListDeleted():
                removed = await self._tasks.purge_list(data.list_id)
                _log.info("list deleted", extra={"listId": data.list_id, "tasks": removed})
            case _:
                pass
