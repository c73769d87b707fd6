"""Start-up retries: a dependency that is still booting is waited for, within a bound."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, before_sleep_log, stop_after_delay, wait_exponential

T = TypeVar("T")
_log = logging.getLogger(__name__)


async def retry_startup(what: str, attempt: Callable[[], Awaitable[T]], within: float) -> T:
    """Call ``attempt`` until it succeeds or ``within`` seconds pass (then re-raise)."""
    async for trying in AsyncRetrying(
        stop=stop_after_delay(within),
        wait=wait_exponential(multiplier=0.2, max=3.0),
        before_sleep=before_sleep_log(_log, logging.WARNING),
        reraise=True,
    ):
        with trying:
            result = await attempt()
    _log.info("connected", extra={"dependency": what})
    return result
