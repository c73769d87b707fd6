"""Settings of the webhook service (environment variables, see ``ServiceSettings`` and
``BoardViewSettings``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from hintro_shared.boardview.settings import BoardViewSettings
from hintro_shared.config import split_commas
from hintro_webhook.guard import parse_networks


class Settings(BoardViewSettings):
    """The shared settings and the webhook service's own."""

    service_name: str = "webhook"
    port: int = Field(default=8007, ge=1, le=65535)

    # The durable queue deliveries are made from (board.*, list.*, labels.*, task.*,
    # comment.*; board events also keep the board view current).
    webhook_queue: str = "webhook.events"
    # Events handled at once (enqueueing is idempotent, so this is only a throughput knob).
    consumer_prefetch: int = Field(default=32, ge=1, le=1000)
    # How often due deliveries are looked for (a new event wakes the dispatcher sooner).
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    # A new delivery waits this long before its first attempt, so that an earlier event of
    # the same board that is still being handled (events are handled concurrently) is queued
    # first and goes first.
    webhook_order_settle_seconds: float = Field(default=0.2, ge=0)
    # Retries of a failed delivery: the first after about this long, doubling each time
    # (with jitter: a random share between half and all of the wait), at most the cap apart.
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_cap_seconds: float = Field(default=3600.0, gt=0)
    # How long after its event (or a redelivery by hand) a delivery is retried before it fails.
    webhook_retry_for_seconds: float = Field(default=86400.0, gt=0)
    # An endpoint failing without one success for this long is disabled and its owner told.
    webhook_disable_after_seconds: float = Field(default=86400.0, gt=0)
    # How long the previous secret keeps signing (beside the new one) after a rotation.
    webhook_secret_overlap_seconds: float = Field(default=86400.0, ge=0)
    # Bounds of one attempt: connecting, the whole attempt, and the answer read (bytes).
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)
    webhook_max_response_bytes: int = Field(default=65536, ge=0)
    # Development only: allow http:// URLs (refused in production).
    webhook_allow_http: bool = False
    # Development and test only: networks webhooks may reach although they are private or
    # loopback, comma-separated CIDRs such as 127.0.0.1/32 (refused in production).
    webhook_allow_cidrs: Annotated[tuple[str, ...], NoDecode] = ()

    _split = field_validator("webhook_allow_cidrs", mode="before")(split_commas)

    @field_validator("webhook_allow_cidrs")
    @classmethod
    def _networks_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_networks(value)
        return value

    @model_validator(mode="after")
    def _no_shortcuts_in_production(self) -> Settings:
        if self.environment == "production" and (
            self.webhook_allow_http or self.webhook_allow_cidrs
        ):
            raise ValueError(
                "WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_CIDRS are for development and tests only"
            )
        return self
