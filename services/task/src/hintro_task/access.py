"""Who may do what on a board, decided from the projection first and from the board service
when the projection says no.

The projection can only lag behind the board service, never lead it. A grant it gives is used
at once (the common, fast case); a removal reaches it with the ``member_removed`` event within
milliseconds, so access is cut without asking anyone. Only a *denial* or a *miss* (not a member,
too low a role, an unknown list, a would-be assignee it does not know) may be stale, and only
then is the board service asked, with the caller's own token: its answer is current and
authoritative, so it can grant what the projection has not learnt yet (read-your-writes across
services) but it never widens anything beyond what the board service says right now. The answer
is also written into the projection (version-guarded), and asked at most once per request.

The mechanism lives in :mod:`hintro_shared.boardview` (shared with the activity service); this
module adds the task service's caller, whose provenance goes into every event it causes.
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
