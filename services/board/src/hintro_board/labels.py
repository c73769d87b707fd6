"""Use cases of a board's labels: list, create, rename and/or recolour, delete, and take in the
labels the task database's migration made from free-text task labels.

A label belongs to its board: it is stored in the board document (see
:mod:`hintro_board.label_repository`) and every change is a compare-and-set on the board's
version carrying one ``board.label_*`` event. Tasks refer to labels by id, so a rename or a new
colour shows on every task at once; a deletion is followed by the task service taking the id
off every task (its consumer of ``board.label_deleted``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from hintro_board.domain import (
    Board,
    Contention,
    Label,
    TooManyLabels,
    UnknownLabel,
    new_id,
    now,
)
from hintro_board.ports import BoardLabels, Boards, Cache
from hintro_board.service import MAX_WRITE_ATTEMPTS, Caller, make_event
from hintro_shared.authz import Action, authorize
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import new_event
from hintro_shared.events.fastpath import Outbox
from hintro_shared.labels import LABELS_PER_BOARD_MAX
from hintro_shared.refusals import IdTaken
from hintro_shared.timeutil import epoch_millis

SOURCE = "hintro/board"


def _label_of(board: Board, label_id: str) -> Label:
    label = next((item for item in board.labels if item.id == label_id), None)
    if label is None:
        raise UnknownLabel()
    return label


class LabelService:
    """The labels of boards (owners and editors write, every member reads)."""

    def __init__(self, boards: Boards, labels: BoardLabels, outbox: Outbox, cache: Cache) -> None:
        self._boards = boards
        self._labels = labels
        self._outbox = outbox
        self._cache = cache

    async def _board_for(self, actor: Caller, board_id: str, action: Action) -> Board:
        board = await self._boards.get(board_id)
        authorize(None if board is None else board.role_of(actor.user_id), action)
        assert board is not None  # authorize raised 404 otherwise
        return board

    async def _write(
        self, actor: Caller, board_id: str, attempt: Callable[[Board], Awaitable[bool]]
    ) -> Board:
        for _ in range(MAX_WRITE_ATTEMPTS):
            board = await self._board_for(actor, board_id, Action.EDIT_BOARD)
            if await attempt(board):
                await self._cache.invalidate(board_id)
                self._outbox.written(board_id)
                return board
        raise Contention()

    async def labels_of(self, actor: Caller, board_id: str) -> tuple[Label, ...]:
        """The board's labels in the order they were made (members only)."""
        board = await self._board_for(actor, board_id, Action.READ)
        return board.labels

    async def given_label(self, actor: Caller, board_id: str, label_id: str) -> Label | None:
        """Create-if-absent: the label a create naming ``label_id`` made on this board before,
        ``None`` when the board has none of that id."""
        board = await self._board_for(actor, board_id, Action.EDIT_BOARD)
        found = next((label for label in board.labels if label.id == label_id), None)
        if found is None and await self._boards.board_of_label(label_id) is not None:
            raise IdTaken("label")
        return found

    async def create_label(
        self, actor: Caller, board_id: str, name: str, color: str, *, label_id: str | None = None
    ) -> Label:
        """A new label on the board (names need not be unique, as in Trello; ``label_id``: a
        client-chosen id, see :meth:`given_label`)."""
        label = Label(id=label_id or new_id(), name=name, color=color)
        at = now()

        async def attempt(board: Board) -> bool:
            if len(board.labels) >= LABELS_PER_BOARD_MAX:
                raise TooManyLabels(LABELS_PER_BOARD_MAX)
            data = ev.LabelCreated(
                board_id=board_id,
                label_id=label.id,
                name=name,
                color=color,
                version=board.version + 1,
            )
            event = make_event("board.label_created", actor, board_id, data)
            return await self._labels.add(
                board_id, board.version, [(label, epoch_millis(at))], at, [event]
            )

        await self._write(actor, board_id, attempt)
        return label

    async def update_label(
        self, actor: Caller, board_id: str, label_id: str, name: str | None, color: str | None
    ) -> Label:
        """Rename and/or recolour a label; a request that changes nothing writes nothing."""
        at = now()
        result: list[Label] = []

        async def attempt(board: Board) -> bool:
            current = _label_of(board, label_id)
            fields: dict[str, str] = {}
            if name is not None and name != current.name:
                fields["name"] = name
            if color is not None and color != current.color:
                fields["color"] = color
            updated = Label(
                id=label_id,
                name=fields.get("name", current.name),
                color=fields.get("color", current.color),
            )
            result[:] = [updated]
            if not fields:
                return True
            data = ev.LabelUpdated(
                board_id=board_id, label_id=label_id, version=board.version + 1, **fields
            )
            event = make_event("board.label_updated", actor, board_id, data)
            return await self._labels.change(board_id, board.version, label_id, fields, at, event)

        await self._write(actor, board_id, attempt)
        return result[0]

    async def delete_label(self, actor: Caller, board_id: str, label_id: str) -> None:
        """Delete a label; the task service takes it off every task when it sees the event."""
        at = now()

        async def attempt(board: Board) -> bool:
            current = _label_of(board, label_id)
            data = ev.LabelDeleted(
                board_id=board_id,
                label_id=label_id,
                version=board.version + 1,
                name=current.name,
            )
            event = make_event("board.label_deleted", actor, board_id, data)
            return await self._labels.remove(board_id, board.version, label_id, at, event)

        await self._write(actor, board_id, attempt)

    async def import_labels(self, board_id: str, labels: Sequence[ev.ImportedLabel]) -> int:
        """Create those of ``labels`` (ids derived from board and name by the task database's
        migration) the board does not have yet, each with its ``board.label_created`` (no
        actor); idempotent, so a replayed ``labels.imported`` adds nothing. Returns how many
        were added (0 for a board that is gone)."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            board = await self._boards.get(board_id)
            if board is None:
                return 0
            held = {label.id for label in board.labels}
            wanted = list(
                {item.label_id: item for item in labels if item.label_id not in held}.values()
            )
            if not wanted:
                return 0
            room = max(0, LABELS_PER_BOARD_MAX - len(board.labels))
            wanted = wanted[:room] if room else []
            if not wanted:
                return 0
            at = now()
            base = epoch_millis(at)
            new = [
                (Label(item.label_id, item.name, item.color), base + i)
                for i, item in enumerate(wanted)
            ]
            events = [
                new_event(
                    "board.label_created",
                    source=SOURCE,
                    board_id=board_id,
                    data=ev.LabelCreated(
                        board_id=board_id,
                        label_id=label.id,
                        name=label.name,
                        color=label.color,
                        version=board.version + 1 + i,
                    ),
                )
                for i, (label, _) in enumerate(new)
            ]
            if await self._labels.add(board_id, board.version, new, at, events):
                await self._cache.invalidate(board_id)
                self._outbox.written(board_id)
                return len(new)
        raise Contention()
