"""Who may do what on a board, decided from the projection first and from the board service
when the projection says no.

The mechanism (and why it can only lag, never widen access) lives in
:mod:`hintro_shared.boardview.access`, shared with the activity service; this module adds the
task service's caller, whose provenance goes into every event it causes.
"""

from __future__ import annotations

from dataclasses import dataclass

from hintro_shared.boardview.access import BoardAccess as BoardAccess
from hintro_shared.boardview.access import BoardDirectory as BoardDirectory
from hintro_shared.boardview.access import ProjectionReader as ProjectionReader
from hintro_task.domain import EventContext


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    user_id: str
    authorization: str
    """The caller's ``Authorization`` header, forwarded to the board service on a fallback."""
    request_id: str | None = None
    socket_id: str | None = None

    def event_context(self) -> EventContext:
        """The provenance every event of this request carries."""
        return EventContext(
            actor_id=self.user_id,
            correlation_id=self.request_id,
            origin_socket_id=self.socket_id,
        )
