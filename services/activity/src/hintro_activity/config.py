"""Settings of the activity service (environment variables, see ``ServiceSettings`` and
``BoardViewSettings``)."""

from __future__ import annotations

from pydantic import Field

from hintro_shared.boardview.settings import BoardViewSettings


class Settings(BoardViewSettings):
    """The shared settings plus the activity service's own."""

    service_name: str = "activity"
    port: int = Field(default=8004, ge=1, le=65535)

    # The durable queue the log is fed from (user.registered, board.*, list.*, task.*).
    activity_queue: str = "activity.log"
    # Events handled at once; they may record into the same board concurrently (seq claims
    # are compare-and-set, so this is only a throughput knob).
    consumer_prefetch: int = Field(default=32, ge=1, le=1000)
    # A seq claim older than this is completed from the entry stored in the claim, so a
    # delivery that died (or was dead-lettered) after claiming cannot leave a gap for good.
    claim_grace_seconds: float = Field(default=10.0, gt=0)
    # How often the claim healer looks for such claims.
    claim_sweep_seconds: float = Field(default=5.0, gt=0)
