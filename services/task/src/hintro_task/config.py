"""Settings of the task service (environment variables, see ``ServiceSettings``)."""

from __future__ import annotations

from pydantic import Field

from hintro_shared.config import ServiceSettings


class Settings(ServiceSettings):
    """The task service's settings: the shared ones plus where the board service answers."""

    service_name: str = "task"
    port: int = Field(default=8003, ge=1, le=65535)

    # The board service, asked directly when the projection denies or misses (read-your-writes).
    board_url: str = "http://127.0.0.1:8002"
    # Bound on that call: a slow board service turns into a quick 503, never a hang.
    board_timeout_seconds: float = Field(default=2.0, gt=0)
    # The durable queue this service's projection consumes board.* and list.* events from.
    projection_queue: str = "task.projection"
