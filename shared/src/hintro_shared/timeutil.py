"""The one timestamp format of the suite's wire data: RFC 3339, UTC, milliseconds, ``Z``.

Fixed width, so stored strings sort by time; activity entries and realtime pushes must render
an event's time identically (clients match a push to its log entry by it)."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(value: datetime) -> str:
    """``2026-11-28T13:00:29.558Z``; a naive ``value`` is taken to be UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
