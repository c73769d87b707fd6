"""Settings of the board service (environment variables, upper-case field names)."""

from __future__ import annotations

from pydantic import Field, model_validator

from hintro_shared.config import ServiceSettings


class Settings(ServiceSettings):
    """The shared settings plus the board service's own."""

    service_name: str = "board"
    port: int = Field(default=8002, ge=1, le=65535)

    # Seconds a cached board body lives in Redis; also bounds how long a reader can see a stale
    # board after a write whose invalidation could not reach Redis.
    board_cache_ttl_seconds: int = Field(default=30, ge=1)
    # Seconds a board's cache generation counter outlives its last write; must exceed the body
    # TTL so an expired counter can never resurrect a body stored under an old generation.
    board_cache_generation_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    # Prefix of every Redis key the board cache writes (tests use a unique one).
    board_cache_prefix: str = "hintro:board:"
    # After a Redis failure the cache is bypassed this long before Redis is tried again.
    board_cache_retry_seconds: float = Field(default=1.0, ge=0)
    # How often a list write recomputes its position after losing a race for the same key.
    position_retries: int = Field(default=10, ge=1)
    # The queue this service's event consumer reads (user.registered, board.deleted).
    consumer_queue: str = "board.service"

    @model_validator(mode="after")
    def _generation_outlives_bodies(self) -> Settings:
        if self.board_cache_generation_ttl_seconds <= self.board_cache_ttl_seconds:
            raise ValueError(
                "BOARD_CACHE_GENERATION_TTL_SECONDS must exceed BOARD_CACHE_TTL_SECONDS"
            )
        return self
