"""Settings of the notification service (environment variables, see ``ServiceSettings``,
``BoardViewSettings`` and ``hintro_shared.mail.MailSettings``)."""

from __future__ import annotations

from pydantic import Field

from hintro_shared.boardview.settings import BoardViewSettings
from hintro_shared.mail import MailSettings


class Settings(BoardViewSettings, MailSettings):
    """The shared settings, the SMTP settings and the notification service's own."""

    service_name: str = "notification"
    port: int = Field(default=8006, ge=1, le=65535)

    # The durable queue notifications are made from (user.*, board.*, list.*, task.*,
    # comment.created).
    notification_queue: str = "notification.events"
    # Events handled at once (every effect is idempotent, so this is only a throughput knob).
    consumer_prefetch: int = Field(default=32, ge=1, le=1000)
    # How often tasks due within 24 hours are looked for (a reminder is at most this late).
    reminder_poll_seconds: float = Field(default=30.0, gt=0)
    # How often owed e-mails (immediate ones, then daily digests) are looked for.
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    # Hours between two digests of a user on the daily digest.
    digest_interval_hours: float = Field(default=24.0, gt=0)
