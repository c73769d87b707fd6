"""Who may do what on a board, decided from the projection first and from the board service
when the projection says no.

The mechanism (and why it can only lag, never widen access) lives in
:mod:`hintro_shared.boardview.access`, shared with the activity service; the caller is the
shared :class:`~hintro_shared.caller.Caller`, whose provenance goes into every event it causes
(:func:`hintro_task.domain.event_context`).
"""

from __future__ import annotations

from hintro_shared.boardview.access import BoardAccess as BoardAccess
from hintro_shared.boardview.access import BoardDirectory as BoardDirectory
from hintro_shared.boardview.access import ProjectionReader as ProjectionReader
from hintro_shared.caller import Caller as Caller
