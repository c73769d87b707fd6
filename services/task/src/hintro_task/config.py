"""Settings of the task service (environment variables, see ``ServiceSettings`` and
``BoardViewSettings``)."""

from __future__ import annotations

from pydantic import Field

from hintro_shared.boardview.settings import BoardViewSettings


class Settings(BoardViewSettings):
    """The task service's settings: the board view's plus its projection's queue."""

    service_name: str = "task"
    port: int = Field(default=8003, ge=1, le=65535)

    # The durable queue this service's projection consumes board.* and list.* events from.
    projection_queue: str = "task.projection"
