"""Events into the board service.

- ``user.registered`` → the users projection (who can be invited, by id or e-mail). The board
  service learns of users only this way, never by calling auth. The upsert sets the same
  values however often the event is replayed, so it is idempotent by itself.
- ``board.deleted`` → remove the deleted board's lists. The delete route already does it right
  after the write; this makes it happen even if that process died in between. Idempotent.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hintro_board.domain import is_valid_user_id, normalise_email
from hintro_shared.events.catalogue import BoardDeleted, UserRegistered
from hintro_shared.events.envelope import EventEnvelope

_log = logging.getLogger(__name__)

ROUTING_KEYS = ("user.registered", "board.deleted")


class UserProjection(Protocol):
    """Where registered users are recorded."""

    async def upsert(self, user_id: str, email: str, name: str) -> None: ...


class ListPurge(Protocol):
    """Removes the lists of a deleted board."""

    async def delete_of_board(self, board_id: str) -> int: ...


class BoardEvents:
    """The handler the service's :class:`~hintro_shared.events.EventConsumer` calls."""

    def __init__(self, users: UserProjection, lists: ListPurge) -> None:
        self._users = users
        self._lists = lists

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply one event; raising makes the consumer base retry it, then dead-letter it."""
        if envelope.type == "user.registered":
            user = envelope.data_as(UserRegistered)
            if not is_valid_user_id(user.user_id):
                # Such an id could not be a member key; nothing to record.
                _log.warning("user.registered with an unusable id ignored")
                return
            await self._users.upsert(user.user_id, normalise_email(user.email), user.name)
        elif envelope.type == "board.deleted":
            deleted = envelope.data_as(BoardDeleted)
            await self._lists.delete_of_board(deleted.board_id)
