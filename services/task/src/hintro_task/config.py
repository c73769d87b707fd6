"""Settings of the task service (environment variables, see ``ServiceSettings`` and
``BoardViewSettings``)."""

from __future__ import annotations

from pydantic import Field, model_validator

from hintro_shared.boardview.settings import BoardViewSettings


class Settings(BoardViewSettings):
    """The task service's settings: the board view's plus its projection's queue."""

    service_name: str = "task"
    port: int = Field(default=8003, ge=1, le=65535)

    # The durable queue this service's projection consumes board.* and list.* events from.
    projection_queue: str = "task.projection"
    # The durable queue the search index consumes task.*, board and list title events from.
    search_queue: str = "task.search"

    # Seconds a board's cached task collection (?all=true) lives in Redis; also bounds how long
    # a reader can see it stale after a write whose invalidation could not reach Redis.
    tasks_cache_ttl_seconds: int = Field(default=60, ge=1)
    # Seconds a board's generation counter outlives its last write (must exceed the body TTL,
    # so an expired counter cannot resurrect a body stored under an old generation).
    tasks_cache_generation_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    # Prefix of every Redis key of that cache (tests use a unique one).
    tasks_cache_prefix: str = "hintro:tasks:"
    # Prefix of the Redis keys of the boards each user belongs to (search's membership cache,
    # which takes its TTLs and retry delay from the TASKS_CACHE_* settings).
    membership_cache_prefix: str = "hintro:members:"
    # After a Redis failure the cache is bypassed this long before Redis is tried again.
    tasks_cache_retry_seconds: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _generation_outlives_bodies(self) -> Settings:
        if self.tasks_cache_generation_ttl_seconds <= self.tasks_cache_ttl_seconds:
            raise ValueError(
                "TASKS_CACHE_GENERATION_TTL_SECONDS must exceed TASKS_CACHE_TTL_SECONDS"
            )
        return self
