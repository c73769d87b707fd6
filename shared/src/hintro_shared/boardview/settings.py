"""Settings of a service that keeps a board view and asks the board service directly."""

from __future__ import annotations

from pydantic import Field

from hintro_shared.config import ServiceSettings


class BoardViewSettings(ServiceSettings):
    """The shared settings plus where the board service answers, and how long to wait."""

    # The board service, asked directly when the projection denies or misses (read-your-writes:
    # a member added a moment ago may not be in the projection yet).
    board_url: str = "http://127.0.0.1:8002"
    # Bound on that call: a slow board service turns into a quick 503, never a hang.
    board_timeout_seconds: float = Field(default=2.0, gt=0)
    # How long a grant from the projection is trusted after the board service last confirmed
    # the board in this process: past it the next access asks the board service again (and
    # refreshes the projection from its answer). So a removal, demotion or deletion whose event
    # was lost or dead-lettered narrows access within this bound. 0 asks every time.
    projection_trust_seconds: float = Field(default=60.0, ge=0)
    # Every board of the projection is compared with the board service at least this often
    # (hintro_shared.boardview.reconcile), used or not: a removal, demotion or deletion whose
    # event was missed for good is corrected within this bound (plus a quarter of it). Needs
    # INTERNAL_TOKEN; 0 turns it off.
    projection_reconcile_seconds: float = Field(default=60.0, ge=0)
