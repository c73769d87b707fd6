"""Events in: every board-scoped event (``board.*`` incl. ``board.member_*``, ``list.*``,
``task.*``, ``comment.*``) becomes an entry of its board's log, and keeps the projections this
service reads current (the shared board view for access, names for summaries);
``user.registered`` and ``user.renamed`` teach users' names (entries already written keep the
name they were written with); ``board.deleted`` removes the board's log and projections instead
of being logged.

The entry is recorded *before* the projections take the event in, so a rename's summary can
still read the title it replaces. Every effect is idempotent on its own (the log by event id
and seq claims, the projections by version guards), so redeliveries, retries and concurrent
handling (prefetch > 1) are harmless.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hintro_activity.domain import BOARD_DELETED, USER_REGISTERED, USER_RENAMED, is_logged
from hintro_activity.service import board_of
from hintro_shared.boardview import ProjectionWriter, apply_board_event
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.timeutil import epoch_millis

_log = logging.getLogger(__name__)

ROUTING_KEYS = (USER_REGISTERED, USER_RENAMED, "board.*", "list.*", "task.*", "comment.*")


class Recorder(Protocol):
    """The use cases that write the log (see ``ActivityService``)."""

    async def record(self, envelope: EventEnvelope) -> int | None: ...

    async def purge_board(self, board_id: str) -> int: ...


class LogState(Protocol):
    """Whether a board's log is gone (see ``ActivityLog``)."""

    async def board_deleted(self, board_id: str) -> bool: ...


class NameWriter(Protocol):
    """The names projection's writes (see ``NameDirectory``)."""

    async def add_user(self, user_id: str, name: str, at_ms: int) -> None: ...

    async def rename_user(self, user_id: str, name: str, at_ms: int) -> None: ...

    async def set_list_title(self, list_id: str, board_id: str, title: str, v: int) -> None: ...

    async def set_task_title(self, task_id: str, board_id: str, title: str, v: int) -> None: ...

    async def forget_board(self, board_id: str) -> None: ...


class ActivityEvents:
    """The handler the service's :class:`~hintro_shared.events.EventConsumer` calls."""

    def __init__(
        self,
        recorder: Recorder,
        log: LogState,
        board_view: ProjectionWriter,
        names: NameWriter,
    ) -> None:
        self._recorder = recorder
        self._log = log
        self._board_view = board_view
        self._names = names

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply one event; raising makes the consumer base retry it, then dead-letter it."""
        if envelope.type == USER_REGISTERED:
            user = envelope.data_as(ev.UserRegistered)
            await self._names.add_user(user.user_id, user.name, epoch_millis(envelope.time))
            return
        if envelope.type == USER_RENAMED:
            renamed = envelope.data_as(ev.UserRenamed)
            await self._names.rename_user(
                renamed.user_id, renamed.name, epoch_millis(envelope.time)
            )
            return
        board_id = board_of(envelope)
        if board_id is None:
            _log.warning("event without a usable boardId ignored", extra={"eventId": envelope.id})
            return
        if envelope.type == BOARD_DELETED:
            # The log first: its tombstone stops any further recording for this board.
            removed = await self._recorder.purge_board(board_id)
            await apply_board_event(self._board_view, envelope)
            await self._names.forget_board(board_id)
            _log.info("board log deleted", extra={"boardId": board_id, "entries": removed})
            return
        if not is_logged(envelope.type):
            return
        # Recording refuses a deleted board's events itself; only when it recorded nothing
        # (a deleted board, or a redelivery) is it worth a read to tell the two apart.
        if await self._recorder.record(envelope) is None and await self._log.board_deleted(
            board_id
        ):
            return
        await self._project(envelope)

    async def _project(self, envelope: EventEnvelope) -> None:
        """Take the event into the board view (members, lists) and the names (titles)."""
        data = await apply_board_event(self._board_view, envelope)
        n = self._names
        match data:
            case (
                ev.ListCreated()
                | ev.ListUpdated()
                | ev.ListDeleted()
                | ev.ListArchived()
                | ev.ListRestored()
            ):
                if data.title is not None:
                    await n.set_list_title(data.list_id, data.board_id, data.title, data.version)
            case (
                ev.TaskCreated()
                | ev.TaskUpdated()
                | ev.TaskMoved()
                | ev.TaskDeleted()
                | ev.TaskArchived()
                | ev.TaskRestored()
            ):
                if data.title is not None:
                    await n.set_task_title(data.task_id, data.board_id, data.title, data.version)
            case _:
                pass  # nothing more to keep (board.updated, assignments, newer types)
