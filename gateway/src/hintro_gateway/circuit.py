"""A circuit breaker per service: after repeated transport failures the gateway stops sending
requests there for a while and answers 503 at once, instead of making every client wait for a
connect timeout against a service that is down."""

from __future__ import annotations

import logging
import math
import time

from hintro_gateway.metrics import CIRCUIT_OPEN

_log = logging.getLogger(__name__)


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after
    ``reset_seconds`` (one trial request per period) → closed on the first success."""

    def __init__(self, name: str, *, threshold: int, reset_seconds: float) -> None:
        self.name = name
        self._threshold = threshold
        self._reset_seconds = reset_seconds
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        """True while requests are being refused (or only a trial is let through)."""
        return self._opened_at is not None

    def allow(self) -> bool:
        """Whether a request may go to the service now."""
        if self._opened_at is None:
            return True
        now = time.monotonic()
        if now - self._opened_at >= self._reset_seconds:
            # Half-open: let this one request try; re-arm so the others keep failing fast and a
            # trial that never reports back does not hold the circuit open for good.
            self._opened_at = now
            return True
        return False

    def retry_after(self) -> int:
        """Seconds until the next trial request."""
        if self._opened_at is None:
            return 0
        left = self._reset_seconds - (time.monotonic() - self._opened_at)
        return max(1, math.ceil(left))

    def success(self) -> None:
        """The service answered (with any status)."""
        self._failures = 0
        if self._opened_at is not None:
            self._opened_at = None
            CIRCUIT_OPEN.labels(self.name).set(0)
            _log.info("circuit closed: %s answers again", self.name)

    def failure(self) -> None:
        """The service refused, broke the connection or timed out."""
        self._failures += 1
        if self._failures >= self._threshold:
            if self._opened_at is None:
                CIRCUIT_OPEN.labels(self.name).set(1)
                _log.warning("circuit open: %s failed %d times in a row", self.name, self._failures)
            self._opened_at = time.monotonic()
