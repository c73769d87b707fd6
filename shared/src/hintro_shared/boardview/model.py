"""What a service other than the board service knows of a board, free of I/O: its lists'
places and the board service's current answer about a board."""

from __future__ import annotations

from dataclasses import dataclass, field

from hintro_shared.authz import Role


@dataclass(frozen=True)
class ListRef:
    """What is known of a list: its board and its place among the board's lists."""

    id: str
    board_id: str
    position: str
    version: int = 0
    deleted: bool = False
    archived: bool = False


@dataclass(frozen=True)
class LabelRef:
    """What is known of a board label: its board, name and colour as of board version ``v``."""

    id: str
    board_id: str
    name: str = ""
    color: str = ""
    version: int = 0
    deleted: bool = False


@dataclass(frozen=True)
class BoardSnapshot:
    """The board service's current answer about a board: members and lists, at ``version``."""

    board_id: str
    version: int
    members: dict[str, Role] = field(default_factory=dict)
    lists: tuple[ListRef, ...] = ()
    labels: tuple[LabelRef, ...] = ()

    def list_by_id(self, list_id: str) -> ListRef | None:
        """The list ``list_id`` if it is on this board."""
        return next((ref for ref in self.lists if ref.id == list_id), None)

    def label_ids(self) -> set[str]:
        """The ids of the board's labels."""
        return {ref.id for ref in self.labels}


@dataclass(frozen=True)
class BoardState:
    """The board service's membership of a live board at ``version`` (reconciliation)."""

    board_id: str
    version: int
    members: dict[str, Role] = field(default_factory=dict)
