"""The background task that completes abandoned seq claims (see
:meth:`~hintro_activity.repository.ActivityLog.heal_stale_claims`): a delivery that claimed a
seq and then died, and whose event never comes back, would otherwise leave a gap for good."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

_log = logging.getLogger(__name__)


class StaleClaims(Protocol):
    """What the healer needs of the log."""

    async def heal_stale_claims(self, older_than_seconds: float, batch_size: int = 100) -> int:
        """Complete claims older than the bound; returns how many."""
        ...


class ClaimHealer:
    """Every ``interval`` seconds, completes claims older than ``grace`` seconds."""

    def __init__(self, log: StaleClaims, *, interval: float, grace: float) -> None:
        self._log = log
        self._interval = interval
        self._grace = grace
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                await self._log.heal_stale_claims(self._grace)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A database outage must not kill the healer; it tries again next tick.
                _log.warning("claim healing failed", extra={"error": repr(exc)})
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        """Start the background loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="activity-claim-healer")

    async def stop(self) -> None:
        """Stop the loop."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
