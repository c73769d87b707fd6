"""The small interfaces the use cases depend on (MongoDB, the read cache; the outbox fast path
is the shared :class:`~hintro_shared.events.fastpath.Outbox`),
so the service can be exercised with fakes and each adapter swapped alone."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from hintro_board.cache import Lookup
from hintro_board.domain import Board, BoardList, Label, Profile
from hintro_shared.authz import Role
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.ordering import PositionTaken as PositionTaken


class Boards(Protocol):
    """Board documents; every write is a compare-and-set on ``version`` carrying its event."""

    async def insert(self, board: Board, event: EventEnvelope) -> None: ...
    async def get(self, board_id: str) -> Board | None: ...
    async def get_many(self, board_ids: list[str]) -> list[Board]: ...
    async def board_of_label(self, label_id: str) -> str | None: ...
    async def page_for_member(
        self,
        user_id: str,
        limit: int,
        after: tuple[datetime, str] | None,
        *,
        archived: bool = False,
    ) -> list[Board]: ...
    async def update_fields(
        self,
        board_id: str,
        version: int,
        fields: Mapping[str, Any],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def add_member(
        self,
        board_id: str,
        version: int,
        user_id: str,
        role: Role,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def change_role(
        self,
        board_id: str,
        version: int,
        user_id: str,
        role: Role,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def remove_member(
        self, board_id: str, version: int, user_id: str, updated_at: datetime, event: EventEnvelope
    ) -> bool: ...
    async def transfer_owner(
        self,
        board_id: str,
        version: int,
        old_owner: str,
        new_owner: str,
        updated_at: datetime,
        events: tuple[EventEnvelope, EventEnvelope],
    ) -> bool: ...
    async def tombstone(self, board_id: str, version: int, event: EventEnvelope) -> bool: ...
    async def set_archived(
        self,
        board_id: str,
        version: int,
        archived_at: datetime | None,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def ids_for_member(self, user_id: str) -> list[str]: ...
    async def co_members(self, user_id: str) -> set[str]: ...


class Lists(Protocol):
    """List documents; positions are unique per board (``PositionTaken`` on a tie)."""

    async def insert(self, board_list: BoardList, event: EventEnvelope) -> None: ...
    async def get(self, list_id: str) -> BoardList | None: ...
    async def of_board(self, board_id: str) -> list[BoardList]: ...
    async def position_of(self, board_id: str, list_id: str) -> str | None: ...
    async def neighbour(
        self, board_id: str, position: str | None, *, above: bool, exclude: str | None
    ) -> str | None: ...
    async def update(
        self,
        list_id: str,
        version: int,
        fields: Mapping[str, Any],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def tombstone(self, list_id: str, version: int, event: EventEnvelope) -> bool: ...
    async def archived_of_board(self, board_id: str) -> list[BoardList]: ...
    async def set_archived(
        self,
        list_id: str,
        version: int,
        archived_at: datetime | None,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def delete_of_board(self, board_id: str) -> int: ...


class Users(Protocol):
    """The users this service learnt of from ``user.registered`` and ``user.renamed``."""

    async def exists(self, user_id: str) -> bool: ...
    async def id_by_email(self, email: str) -> str | None: ...
    async def profiles(self, user_ids: Collection[str]) -> dict[str, Profile]: ...
    async def by_email(self, email: str) -> Profile | None: ...
    async def upsert(self, user_id: str, email: str, name: str, at_ms: int) -> None: ...
    async def rename(self, user_id: str, name: str, at_ms: int) -> bool: ...


class BoardLabels(Protocol):
    """The labels map of board documents (see :mod:`hintro_board.label_repository`)."""

    async def add(
        self,
        board_id: str,
        version: int,
        labels: Sequence[tuple[Label, int]],
        updated_at: datetime,
        events: Sequence[EventEnvelope],
    ) -> bool: ...
    async def change(
        self,
        board_id: str,
        version: int,
        label_id: str,
        fields: Mapping[str, str],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...
    async def remove(
        self,
        board_id: str,
        version: int,
        label_id: str,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool: ...


class Cache(Protocol):
    """The board read cache (see :mod:`hintro_board.cache`)."""

    async def get(self, board_id: str) -> Lookup: ...
    async def put(self, board_id: str, generation: str | None, entry: bytes) -> None: ...
    async def invalidate(self, board_id: str) -> None: ...
