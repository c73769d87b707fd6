"""Events into the board service.

- ``user.registered`` and ``user.renamed`` → the users projection (who can be invited, by id or
  e-mail, and the names board responses show). The board service learns of users only this
  way, never by calling auth. Names are kept by event time, so replays and late events never
  put back an older name; boards showing a changed name leave the read cache.
- ``board.deleted`` → remove the deleted board's lists. The delete route already does it right
  after the write; this makes it happen even if that process died in between. Idempotent.
- ``labels.imported`` → create the board labels the task database's migration made from the
  free-text labels of a board's tasks (ids derived from board and name, so a replay adds
  nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from hintro_board.domain import is_valid_user_id
from hintro_shared.events.catalogue import (
    BoardDeleted,
    ImportedLabel,
    LabelsImported,
    UserRegistered,
    UserRenamed,
)
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.timeutil import epoch_millis

_log = logging.getLogger(__name__)

ROUTING_KEYS = ("user.registered", "user.renamed", "board.deleted", "labels.imported")


class UserProjection(Protocol):
    """Where users are recorded (see ``PeopleService``)."""

    async def user_registered(self, user_id: str, email: str, name: str, at_ms: int) -> None: ...

    async def user_renamed(self, user_id: str, name: str, at_ms: int) -> None: ...


class ListPurge(Protocol):
    """Removes the lists of a deleted board."""

    async def delete_of_board(self, board_id: str) -> int: ...


class LabelImport(Protocol):
    """Creates the labels the task database's migration made (see ``LabelService``)."""

    async def import_labels(self, board_id: str, labels: Sequence[ImportedLabel]) -> int: ...


class BoardEvents:
    """The handler the service's :class:`~hintro_shared.events.EventConsumer` calls."""

    def __init__(self, users: UserProjection, lists: ListPurge, labels: LabelImport) -> None:
        self._users = users
        self._lists = lists
        self._labels = labels

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply one event; raising makes the consumer base retry it, then dead-letter it."""
        if envelope.type == "user.registered":
            user = envelope.data_as(UserRegistered)
            if not is_valid_user_id(user.user_id):
                # Such an id could not be a member key; nothing to record.
                _log.warning("user.registered with an unusable id ignored")
                return
            at_ms = epoch_millis(envelope.time)
            await self._users.user_registered(user.user_id, user.email, user.name, at_ms)
        elif envelope.type == "user.renamed":
            renamed = envelope.data_as(UserRenamed)
            if is_valid_user_id(renamed.user_id):
                await self._users.user_renamed(
                    renamed.user_id, renamed.name, epoch_millis(envelope.time)
                )
        elif envelope.type == "board.deleted":
            deleted = envelope.data_as(BoardDeleted)
            await self._lists.delete_of_board(deleted.board_id)
        elif envelope.type == "labels.imported":
            imported = envelope.data_as(LabelsImported)
            await self._labels.import_labels(imported.board_id, imported.labels)
