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
