"""Use cases of a board's lists: read in order, create at a place, rename and/or move, delete.

A position is computed by the server from the anchors' current positions
(:func:`hintro_board.domain.position_between`); a move rewrites only the moved list. Two
writers aiming at the same gap usually get distinct keys from the jitter; when they do not, the
unique (boardId, position) index refuses the second and it recomputes from fresh neighbours.
"""

from __future__ import annotations

from dataclasses import replace

from hintro_board.domain import (
    BoardList,
    Contention,
    InvalidAnchor,
    IsArchived,
    NotArchived,
    Placement,
    StaleVersion,
    new_id,
    now,
    position_between,
)
from hintro_board.ports import Boards, Cache, Lists, PositionTaken
from hintro_board.service import MAX_WRITE_ATTEMPTS, Caller, make_event
from hintro_shared.authz import Action, authorize
from hintro_shared.events import catalogue as ev
from hintro_shared.events.fastpath import Outbox
from hintro_shared.refusals import IdTaken, NotFound


class ListService:
    """The ordered lists of boards."""

    def __init__(
        self,
        boards: Boards,
        lists: Lists,
        outbox: Outbox,
        cache: Cache,
        *,
        position_retries: int = 10,
    ) -> None:
        self._boards = boards
        self._lists = lists
        self._outbox = outbox
        self._cache = cache
        self._position_retries = position_retries

    async def _authorize(self, actor: Caller, board_id: str, action: Action, what: str) -> None:
        board = await self._boards.get(board_id)
        authorize(None if board is None else board.role_of(actor.user_id), action, what=what)

    async def _written(self, board_id: str, list_id: str) -> None:
        await self._cache.invalidate(board_id)
        self._outbox.written(list_id)

    async def _anchor(self, board_id: str, list_id: str, field: str) -> str:
        position = await self._lists.position_of(board_id, list_id)
        if position is None:
            raise InvalidAnchor(field, f"{field} names no list of this board")
        return position

    async def _place(self, board_id: str, placement: Placement, moving: str | None) -> str:
        """A fresh position for ``placement``: right after ``afterId`` (``beforeId``, if also
        given, must come after it), else right before ``beforeId``, else at the end."""
        if moving is not None:
            placement.check_not_self(moving)
        lower: str | None
        upper: str | None
        if placement.after_id is not None:
            lower = await self._anchor(board_id, placement.after_id, "afterId")
            if placement.before_id is not None:
                before = await self._anchor(board_id, placement.before_id, "beforeId")
                if before <= lower:
                    raise InvalidAnchor("beforeId", "beforeId must come after afterId")
            # The next list after the anchor (never beyond beforeId, which is after it).
            upper = await self._lists.neighbour(board_id, lower, above=True, exclude=moving)
        elif placement.before_id is not None:
            upper = await self._anchor(board_id, placement.before_id, "beforeId")
            lower = await self._lists.neighbour(board_id, upper, above=False, exclude=moving)
        else:
            upper = None
            lower = await self._lists.neighbour(board_id, None, above=False, exclude=moving)
        return position_between(lower, upper)

    async def lists_of(
        self, actor: Caller, board_id: str, *, archived: bool = False
    ) -> list[BoardList]:
        """The board's lists in order, or its archived lists, the latest first (members
        only)."""
        await self._authorize(actor, board_id, Action.READ, "board")
        if archived:
            return await self._lists.archived_of_board(board_id)
        return await self._lists.of_board(board_id)

    async def given_list(self, actor: Caller, board_id: str, list_id: str) -> BoardList | None:
        """Create-if-absent: the list a create naming ``list_id`` on this board made before,
        ``None`` when there is none; ``IdTaken`` when the id is used elsewhere."""
        await self._authorize(actor, board_id, Action.EDIT_LISTS, "board")
        board_list = await self._lists.get(list_id)
        if board_list is None:
            return None
        if board_list.board_id != board_id:
            raise IdTaken("list")
        return board_list

    async def create_list(
        self,
        actor: Caller,
        board_id: str,
        title: str,
        placement: Placement,
        *,
        list_id: str | None = None,
    ) -> BoardList:
        """A new list at the given place (the end when no anchor is named; ``list_id``: a
        client-chosen id, see :meth:`given_list`)."""
        await self._authorize(actor, board_id, Action.EDIT_LISTS, "board")
        list_id = list_id or new_id()
        for _ in range(self._position_retries):
            created = now()
            board_list = BoardList(
                id=list_id,
                board_id=board_id,
                title=title,
                position=await self._place(board_id, placement, None),
                created_at=created,
                updated_at=created,
                version=1,
            )
            data = ev.ListCreated(
                list_id=list_id,
                board_id=board_id,
                title=title,
                position=board_list.position,
                created_at=created,
                version=1,
            )
            try:
                await self._lists.insert(
                    board_list, make_event("list.created", actor, board_id, data)
                )
            except PositionTaken:
                continue
            await self._written(board_id, list_id)
            return board_list
        raise Contention()

    async def _list_for(self, actor: Caller, list_id: str, action: Action) -> BoardList:
        board_list = await self._lists.get(list_id)
        if board_list is None:
            raise NotFound("list")
        await self._authorize(actor, board_list.board_id, action, "list")
        return board_list

    async def update_list(
        self,
        actor: Caller,
        list_id: str,
        title: str | None,
        placement: Placement,
        expected_version: int | None = None,
    ) -> BoardList:
        """Rename and/or move a list (a move rewrites only this list)."""
        for _ in range(max(self._position_retries, MAX_WRITE_ATTEMPTS)):
            current = await self._list_for(actor, list_id, Action.EDIT_LISTS)
            if expected_version is not None and current.version != expected_version:
                raise StaleVersion()
            if current.archived_at is not None:
                raise IsArchived("list")
            position = (
                await self._place(current.board_id, placement, list_id)
                if placement.anchored
                else None
            )
            updated_at = now()
            fields: dict[str, str] = {}
            if title is not None:
                fields["title"] = title
            if position is not None:
                fields["position"] = position
            data = ev.ListUpdated(
                list_id=list_id,
                board_id=current.board_id,
                version=current.version + 1,
                updated_at=updated_at,
                **fields,
            )
            event = make_event("list.updated", actor, current.board_id, data)
            try:
                written = await self._lists.update(
                    list_id, current.version, fields, updated_at, event
                )
            except PositionTaken:
                continue
            if written:
                await self._written(current.board_id, list_id)
                return BoardList(
                    id=list_id,
                    board_id=current.board_id,
                    title=fields.get("title", current.title),
                    position=fields.get("position", current.position),
                    created_at=current.created_at,
                    updated_at=updated_at,
                    version=current.version + 1,
                )
            if expected_version is not None:
                raise StaleVersion()
        raise Contention()

    async def delete_list(self, actor: Caller, list_id: str) -> None:
        """Delete an archived list for good; its tasks (archived or not) go when the task
        service sees ``list.deleted``."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = await self._list_for(actor, list_id, Action.EDIT_LISTS)
            if current.archived_at is None:
                raise NotArchived("list")
            data = ev.ListDeleted(
                list_id=list_id,
                board_id=current.board_id,
                version=current.version + 1,
                title=current.title,
            )
            event = make_event("list.deleted", actor, current.board_id, data)
            if await self._lists.tombstone(list_id, current.version, event):
                await self._written(current.board_id, list_id)
                return
        raise Contention()

    async def archive_list(self, actor: Caller, list_id: str) -> BoardList:
        """Hide a list from the board, keeping its place; its live tasks follow when the task
        service sees ``list.archived``. Archiving an archived list changes nothing."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = await self._list_for(actor, list_id, Action.EDIT_LISTS)
            if current.archived_at is not None:
                return current
            at = now()
            data = ev.ListArchived(
                list_id=list_id,
                board_id=current.board_id,
                version=current.version + 1,
                title=current.title,
                archived_at=at,
            )
            event = make_event("list.archived", actor, current.board_id, data)
            if await self._lists.set_archived(list_id, current.version, at, at, event):
                await self._written(current.board_id, list_id)
                return replace(current, archived_at=at, updated_at=at, version=current.version + 1)
        raise Contention()

    async def restore_list(self, actor: Caller, list_id: str) -> BoardList:
        """Put an archived list back at its own place (the archive kept its position); the
        tasks archived with it follow when the task service sees ``list.restored``. Restoring
        a list that is not archived changes nothing."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = await self._list_for(actor, list_id, Action.EDIT_LISTS)
            if current.archived_at is None:
                return current
            at = now()
            data = ev.ListRestored(
                list_id=list_id,
                board_id=current.board_id,
                title=current.title,
                position=current.position,
                created_at=current.created_at,
                version=current.version + 1,
            )
            event = make_event("list.restored", actor, current.board_id, data)
            if await self._lists.set_archived(list_id, current.version, None, at, event):
                await self._written(current.board_id, list_id)
                return replace(
                    current, archived_at=None, updated_at=at, version=current.version + 1
                )
        raise Contention()
