"""The one timestamp format of the suite's wire data: RFC 3339, UTC, milliseconds, ``Z``.

Fixed width, so stored strings sort by time; activity entries and realtime pushes must render
an event's time identically (clients match a push to its log entry by it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def rfc3339(value: datetime) -> str:
    """``2026-11-28T13:00:29.558Z``; a naive ``value`` is taken to be UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_millis(value: datetime) -> datetime:
    """``value`` in UTC truncated to milliseconds (a naive ``value`` is taken to be UTC): MongoDB
    keeps milliseconds, so what a write returns equals what a later read returns."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now_millis() -> datetime:
    """The current UTC time at the millisecond precision MongoDB stores."""
    return to_millis(datetime.now(UTC))


def stored_time(value: Any) -> datetime:
    """A stored UTC time, whichever form the store hands back: a BSON datetime (naive means
    UTC) or an RFC 3339 string (nx-27017 turns a datetime written by ``$set`` into one)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def epoch_millis(value: datetime) -> int:
    """Milliseconds since the epoch (a naive ``value`` is taken to be UTC): an integer that
    orders events by time in a projection (nx-27017 reads back datetimes written by ``$set`` as
    strings, so guards compare integers)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)
