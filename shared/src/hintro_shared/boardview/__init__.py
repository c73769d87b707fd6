"""A service's own view of boards: who is a member with which role, and the boards' lists in
order, built from the board service's events (:mod:`.events`) into a version-guarded Mongo
projection (:mod:`.projection`), with the board service asked directly (:mod:`.client`) when
the projection denies or misses (:mod:`.access`).
Used by the task, activity and notification services.
"""

from hintro_shared.boardview.access import (
    BoardAccess,
    BoardDirectory,
    BoardReaders,
    ProjectionReader,
    Requester,
)
from hintro_shared.boardview.client import (
    BOARD_CLIENT,
    BoardClient,
    BoardServiceUnavailable,
    board_client_ctx,
    parse_board,
)
from hintro_shared.boardview.events import ROUTING_KEYS, ProjectionWriter, apply_board_event
from hintro_shared.boardview.model import BoardSnapshot, LabelRef, ListRef
from hintro_shared.boardview.projection import BoardProjection

__all__ = [
    "BOARD_CLIENT",
    "ROUTING_KEYS",
    "BoardAccess",
    "BoardClient",
    "BoardDirectory",
    "BoardProjection",
    "BoardReaders",
    "BoardServiceUnavailable",
    "BoardSnapshot",
    "LabelRef",
    "ListRef",
    "ProjectionReader",
    "ProjectionWriter",
    "Requester",
    "apply_board_event",
    "board_client_ctx",
    "parse_board",
]
