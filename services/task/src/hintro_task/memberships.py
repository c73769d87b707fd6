"""The boards each user belongs to, as cross-board search asks on every query, kept in the
generation-keyed Redis cache (:mod:`hintro_shared.readcache`) and invalidated by the board
view's own membership writes.

Reading them from the board view is a query on ``members.<userId>``, a field no index can
cover (a collection scan on MongoDB, about 4 ms of nx-27017's CPU per search with 200 boards:
``docs/performance.md``, "Search"). Every write that can change whose boards a board is (a
member added, removed or re-roled, a board deleted, a snapshot taken in) bumps each affected
user's generation after its database write, so a search that follows the event never sees the
membership from before it; without Redis every search reads the board view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared import jsonutil
from hintro_shared.authz import Role
from hintro_shared.boardview.model import BoardSnapshot
from hintro_shared.boardview.projection import BoardProjection
from hintro_shared.readcache import ReadCache


class MembershipCache(ReadCache[list[str]]):
    """A user's board ids by user id."""

    name = "membership cache"
    entry_kind = "boards"

    def decode(self, value: bytes) -> list[str]:
        """The JSON list of board ids :meth:`CachedBoardView.boards_of` stored."""
        ids: Any = jsonutil.loads(value)
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise ValueError("not a list of board ids")
        return ids


class CachedBoardView(BoardProjection):
    """The task service's board view: the shared projection, with :meth:`boards_of` served
    from :class:`MembershipCache` and every membership write invalidating it."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], memberships: MembershipCache) -> None:
        super().__init__(db)
        self._memberships = memberships

    async def boards_of(self, user_id: str) -> list[str]:
        """The ids of the live boards ``user_id`` is a member of."""
        lookup = await self._memberships.get(user_id)
        if lookup.hit is not None:
            return lookup.hit
        ids = await super().boards_of(user_id)
        await self._memberships.put(user_id, lookup.generation, jsonutil.dumps_bytes(ids))
        return ids

    async def set_member(self, board_id: str, user_id: str, role: Role | None, v: int) -> bool:
        """Record the role, then invalidate the user's boards (whether or not it applied: a
        bump costs one Redis call, and membership events are rare)."""
        try:
            return await super().set_member(board_id, user_id, role, v)
        finally:
            await self._memberships.invalidate(user_id)

    async def delete_board(self, board_id: str, v: int) -> None:
        """Tombstone the board, then invalidate every member's boards."""
        members = await self.members_of(board_id)
        try:
            await super().delete_board(board_id, v)
        finally:
            await self._invalidate(members)

    async def apply_snapshot(self, snapshot: BoardSnapshot) -> None:
        """Take the snapshot in, then invalidate the boards of everyone who was or now is a
        member (a snapshot replaces the member map)."""
        before = await self.members_of(snapshot.board_id)
        try:
            await super().apply_snapshot(snapshot)
        finally:
            await self._invalidate({*before, *snapshot.members})

    async def _invalidate(self, user_ids: Iterable[str]) -> None:
        await self._memberships.invalidate_many(sorted(user_ids))
