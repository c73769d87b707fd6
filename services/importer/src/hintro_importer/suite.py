"""The board and task services, called as the importing user.

The importer holds no credential of its own: every call carries the ``Authorization`` header of
the request that started or resumed the job (the user's access token, kept in memory only for
the run, never stored), and the services check it and the user's role as for any other call.
A call that fails for want of the service (no connection, a timeout, 502/503/504) is tried
again with backoff; the answer to any other call is returned for the use case to judge.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web

from hintro_importer.domain import Answer, StepFailed
from hintro_shared import jsonutil
from hintro_shared.http import REQUEST_ID_HEADER
from hintro_shared.overload import TIMEOUT_HEADER

_log = logging.getLogger(__name__)
_UNAVAILABLE = frozenset({502, 503, 504})


def _jittered(attempt: int) -> float:
    """Seconds before retry ``attempt + 1``: exponential, capped, with jitter."""
    spread: float = random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)
    return float(min(4.0, 0.25 * 2**attempt)) * spread


class Suite:
    """HTTP calls to the board (``board``) and task (``task``) services."""

    def __init__(
        self,
        urls: dict[str, str],
        timeout: float,
        retries: int,
        *,
        backoff: Callable[[int], float] | None = None,
    ) -> None:
        self._urls = {name: url.rstrip("/") for name, url in urls.items()}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._deadline_ms = str(max(1, int(timeout * 1000)))
        self._retries = retries
        self._backoff = backoff or _jittered
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=50, keepalive_timeout=30)
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        authorization: str,
        body: Any = None,
        request_id: str,
    ) -> Answer:
        """``method path`` on ``service`` as the user; :class:`StepFailed` when the service
        could not be reached after the retries."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            TIMEOUT_HEADER: self._deadline_ms,
            REQUEST_ID_HEADER: request_id,
        }
        url = self._urls[service] + path
        for attempt in range(self._retries + 1):
            try:
                async with self._session.request(
                    method, url, headers=headers, json=body, timeout=self._timeout
                ) as response:
                    if response.status not in _UNAVAILABLE:
                        raw = await response.read()
                        return Answer(response.status, jsonutil.loads(raw) if raw else None)
                    why = f"answered {response.status}"
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                why = type(exc).__name__
            _log.warning("%s service call failed (%s), attempt %d", service, why, attempt + 1)
            if attempt < self._retries:
                await asyncio.sleep(self._backoff(attempt))
        raise StepFailed(f"The {service} service is unavailable; resume the import later.")


SUITE = web.AppKey("hintro.importer.suite", Suite)


def suite_ctx(suite: Suite) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that opens and closes the client's session."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await suite.start()
        app[SUITE] = suite
        yield
        await suite.close()

    return ctx
