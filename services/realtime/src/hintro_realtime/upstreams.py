"""The board and activity services as the join use case needs them, over HTTP with the
caller's own bearer token (so each service applies its own authorization)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError

from hintro_realtime.domain import JoinRefused
from hintro_realtime.schemas import ReplayPage
from hintro_shared.overload import TIMEOUT_HEADER

_log = logging.getLogger(__name__)

NOT_FOUND = JoinRefused("not_found", "No such board, or you are not a member of it.")
UNAUTHORIZED = JoinRefused("unauthorized", "The access token is invalid or has expired.")


def _unavailable(service: str) -> JoinRefused:
    return JoinRefused("unavailable", f"The {service} service is unavailable; retry shortly.")


def _answer(service: str, status: int) -> JoinRefused:
    """The refusal for a non-200 answer."""
    if status == 404:
        return NOT_FOUND
    if status == 401:
        return UNAUTHORIZED
    _log.warning("unexpected upstream answer", extra={"upstream": service, "status": status})
    return _unavailable(service)


class BoardMembership:
    """Asks the board service whether the token's user is a member: ``GET /api/boards/{id}``
    is 200 for members and 404 for everyone else."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout: float) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # The service stops the read when this client stops waiting for it.
        self._deadline = {TIMEOUT_HEADER: str(max(1, int(timeout * 1000)))}

    async def check(self, board_id: str, token: str) -> None:
        """Return when the user is a member; raise :class:`JoinRefused` otherwise."""
        url = f"{self._base}/api/boards/{quote(board_id, safe='')}"
        try:
            async with self._session.get(
                url,
                headers={"Authorization": f"Bearer {token}", **self._deadline},
                timeout=self._timeout,
            ) as response:
                if response.status == 200:
                    return
                raise _answer("board", response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("board service unreachable", extra={"error": repr(exc)})
            raise _unavailable("board") from None


class ActivityLog:
    """Reads a board's activity after a seq (``GET …/activity?afterSeq=N&limit=M``)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout: float) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # The service stops the read when this client stops waiting for it.
        self._deadline = {TIMEOUT_HEADER: str(max(1, int(timeout * 1000)))}

    async def after(self, board_id: str, after_seq: int, limit: int, token: str) -> ReplayPage:
        """Entries with seq > ``after_seq`` (at most ``limit``) and the board's current seq."""
        url = f"{self._base}/api/boards/{quote(board_id, safe='')}/activity"
        params = {"afterSeq": str(after_seq), "limit": str(limit)}
        try:
            async with self._session.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}", **self._deadline},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise _answer("activity", response.status)
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("activity service unreachable", extra={"error": repr(exc)})
            raise _unavailable("activity") from None
        try:
            return ReplayPage.model_validate_json(body)
        except ValidationError as exc:
            _log.error("activity replay page not understood", extra={"error": str(exc)[:500]})
            raise _unavailable("activity") from None
