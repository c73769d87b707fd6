"""A background loop running a step every few seconds until stopped (notification's due-soon
reminders and mailer, webhook's dispatcher, importer's sweep, the projections' reconciler, the
dead-letter replayer). A step that fails is logged and
tried again at the next tick; the loops keep their state in MongoDB, so a restart resumes where
they were."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

_log = logging.getLogger(__name__)


class Periodic:
    """Runs ``step`` now and then every ``interval`` seconds; ``start()``/``stop()``."""

    def __init__(self, name: str, interval: float, step: Callable[[], Awaitable[object]]) -> None:
        self._name = name
        self._interval = interval
        self._step = step
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Start the loop (idempotent: a running loop is left as it is)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self._name)

    def poke(self) -> None:
        """Run the next step now rather than at the next tick."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("background step failed", extra={"worker": self._name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
