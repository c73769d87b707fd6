"""A board's labels in MongoDB: a map in the board document, ``labels: {<labelId>: {name,
color, n}}`` (``n``: when it was made, epoch milliseconds, the display order).

Labels live in the board document so that a label change is one compare-and-set on the
board's ``version`` carrying its event (the board's outbox), exactly like a member change,
and a board read has its labels without a second query. Entries are written with dotted
``$set``/``$unset`` (never ``$push``: nx-27017 stores pushed subdocuments as strings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from hintro_board.domain import Label
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import LIVE, with_outbox

Document = dict[str, Any]


class MongoBoardLabels:
    """Writes of the ``labels`` map of board documents (reads come with the board)."""

    def __init__(self, boards: AsyncCollection[Document]) -> None:
        self.collection = boards

    async def _cas(
        self,
        board_id: str,
        version: int,
        update: Document,
        events: Sequence[EventEnvelope],
        guard: Document,
    ) -> bool:
        bumped = {**update, "$inc": {"version": len(events)}}
        query = {"_id": board_id, **LIVE, "version": version, **guard}
        result = await self.collection.update_one(
            query, with_outbox(bumped, *events, order=version + 1)
        )
        return result.matched_count == 1

    async def add(
        self,
        board_id: str,
        version: int,
        labels: Sequence[tuple[Label, int]],
        updated_at: datetime,
        events: Sequence[EventEnvelope],
    ) -> bool:
        """Add ``labels`` (each with its ``n``) if the board is still at ``version`` and has
        none of them yet: one write, one version and one event per label."""
        fields: Document = {
            f"labels.{label.id}": {"name": label.name, "color": label.color, "n": n}
            for label, n in labels
        }
        guard = {f"labels.{label.id}": {"$exists": False} for label, _ in labels}
        update = {"$set": {**fields, "updatedAt": updated_at}}
        return await self._cas(board_id, version, update, events, guard)

    async def change(
        self,
        board_id: str,
        version: int,
        label_id: str,
        fields: Mapping[str, str],
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Set the label's ``name`` and/or ``color`` if the board is still at ``version``."""
        update = {
            "$set": {
                **{f"labels.{label_id}.{key}": value for key, value in fields.items()},
                "updatedAt": updated_at,
            }
        }
        guard = {f"labels.{label_id}": {"$exists": True}}
        return await self._cas(board_id, version, update, (event,), guard)

    async def remove(
        self,
        board_id: str,
        version: int,
        label_id: str,
        updated_at: datetime,
        event: EventEnvelope,
    ) -> bool:
        """Remove the label if the board is still at ``version``."""
        update = {"$unset": {f"labels.{label_id}": ""}, "$set": {"updatedAt": updated_at}}
        guard = {f"labels.{label_id}": {"$exists": True}}
        return await self._cas(board_id, version, update, (event,), guard)
