"""Who may watch a board or its tasks: its members, decided by the shared board view
(:mod:`hintro_shared.boardview`): the projection first and, when it says no, the board service
asked with the caller's own token (read-your-writes: a member added a moment ago may not be in
the projection yet). Everyone else gets 404, never 403."""

from __future__ import annotations

from hintro_shared.authz import Action, Role
from hintro_shared.boardview import BoardAccess, BoardDirectory, ProjectionReader
from hintro_shared.caller import Caller as Caller


class BoardReaders:
    """Decides whether a caller may read a board."""

    def __init__(self, projection: ProjectionReader, directory: BoardDirectory) -> None:
        self._projection = projection
        self._directory = directory

    async def require_member(self, board_id: str, caller: Caller) -> Role:
        """The caller's role on the board, or a 404 problem."""
        access = BoardAccess(board_id, caller, self._projection, self._directory)
        return await access.authorize(Action.READ)
