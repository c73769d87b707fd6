"""When the supervisor restarts a service that died, and when it gives up.

A process that exits while the stack runs is restarted after a delay that doubles with each
crash in the recent window (``first_delay``, then 2x, 4x, ... capped at ``max_delay``). When
``max_crashes`` happened within ``window_seconds`` the service is crash-looping: restarting it
again would only hide the cause, so the stack stops and names it. A service that stays up for
a whole window starts again from the first delay.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    """How the supervisor answers a crash (defaults of ``make run``; docs/development.md)."""

    max_crashes: int = 5
    window_seconds: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.max_crashes < 1:
            raise ValueError("max_crashes must be at least 1")
        if self.window_seconds <= 0 or self.first_delay < 0 or self.max_delay < self.first_delay:
            raise ValueError("need window_seconds > 0 and 0 <= first_delay <= max_delay")

    def delay(self, recent_crashes: int) -> float:
        """Seconds to wait before the restart that follows the ``recent_crashes``-th crash."""
        return float(min(self.max_delay, self.first_delay * 2 ** max(0, recent_crashes - 1)))


class CrashHistory:
    """The crashes of one service within the policy's window."""

    def __init__(self, policy: RestartPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._times: deque[float] = deque()

    def record(self) -> int:
        """Count a crash now; return how many fall within the window (this one included)."""
        now = self._clock()
        self._times.append(now)
        while self._times and self._times[0] <= now - self._policy.window_seconds:
            self._times.popleft()
        return len(self._times)

    def gives_up(self, recent_crashes: int) -> bool:
        """Whether that many crashes within the window mean a crash loop."""
        return recent_crashes >= self._policy.max_crashes


def how_it_ended(returncode: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL (signal 9)``."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = "an unknown signal"
    return f"was killed by {name} (signal {number})"
