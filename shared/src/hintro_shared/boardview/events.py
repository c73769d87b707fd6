"""The board service's ``board.*`` and ``list.*`` events applied to a
:class:`~hintro_shared.boardview.projection.BoardProjection`.

Every write is version-guarded (see the projection), so redeliveries, retries and concurrent
handling (prefetch > 1, hence any order) are harmless. The caller does its own follow-ups
(e.g. removing a deleted board's tasks) from the returned data, after the projection has the
tombstone, so access is refused before anything else goes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from hintro_shared.authz import Role
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope

_log = logging.getLogger(__name__)

ROUTING_KEYS = ("board.*", "list.*")
"""What a board view's consumer binds (``board.*`` includes ``board.member_*``)."""


class ProjectionWriter(Protocol):
    """The projection's guarded writes (see ``BoardProjection``)."""

    async def set_member(self, board_id: str, user_id: str, role: Role | None, v: int) -> bool: ...

    async def touch_board(self, board_id: str, v: int) -> None: ...

    async def delete_board(self, board_id: str, v: int) -> None: ...

    async def upsert_list(
        self, list_id: str, board_id: str, v: int, position: str | None = None
    ) -> bool: ...

    async def delete_list(self, list_id: str, board_id: str, v: int) -> None: ...

    async def upsert_label(
        self, label_id: str, board_id: str, v: int, fields: Mapping[str, str]
    ) -> bool: ...

    async def delete_label(self, label_id: str, board_id: str, v: int) -> None: ...

    async def set_list_archived(
        self, list_id: str, board_id: str, archived: bool, v: int
    ) -> bool: ...


@runtime_checkable
class GapAware(Protocol):
    """A projection that notes version gaps for reconciliation (``BoardProjection``)."""

    async def note_version(self, board_id: str, v: int, at: int) -> None: ...


async def apply_board_event(
    projection: ProjectionWriter, envelope: EventEnvelope
) -> ev.EventData | None:
    """Apply one event to the projection; returns its parsed data (``None`` for a type this
    build does not know). Events that are not about boards or lists are ignored."""
    data = envelope.parsed_data()
    p = projection
    if isinstance(data, ev.MemberAdded | ev.MemberRoleChanged | ev.MemberRemoved) and isinstance(
        p, GapAware
    ):
        # Membership is what access rests on: an event past a gap has the board rechecked.
        await p.note_version(data.board_id, data.version, int(time.time() * 1000))
    match data:
        case ev.BoardCreated():
            members = data.members or [ev.Member(user_id=data.owner_id, role="owner")]
            for member in members:
                await p.set_member(data.board_id, member.user_id, Role(member.role), data.version)
        case ev.BoardUpdated():
            await p.touch_board(data.board_id, data.version)
        case ev.BoardDeleted():
            await p.delete_board(data.board_id, data.version)
        case ev.MemberAdded() | ev.MemberRoleChanged():
            await p.set_member(data.board_id, data.user_id, Role(data.role), data.version)
        case ev.MemberRemoved():
            await p.set_member(data.board_id, data.user_id, None, data.version)
        case ev.ListCreated() | ev.ListUpdated():
            await p.upsert_list(data.list_id, data.board_id, data.version, data.position)
        case ev.ListDeleted():
            await p.delete_list(data.list_id, data.board_id, data.version)
        case ev.LabelCreated() | ev.LabelUpdated():
            fields = {
                key: value
                for key, value in (("name", data.name), ("color", data.color))
                if value is not None
            }
            await p.touch_board(data.board_id, data.version)
            await p.upsert_label(data.label_id, data.board_id, data.version, fields)
        case ev.LabelDeleted():
            await p.touch_board(data.board_id, data.version)
            await p.delete_label(data.label_id, data.board_id, data.version)
        case ev.ListArchived():
            await p.set_list_archived(data.list_id, data.board_id, True, data.version)
        case ev.ListRestored():
            await p.upsert_list(data.list_id, data.board_id, data.version, data.position)
            await p.set_list_archived(data.list_id, data.board_id, False, data.version)
        case _:
            _log.debug("event ignored by the board view", extra={"eventType": envelope.type})
    return data
