"""The board service asked directly: the fallback behind the projection.

Events reach the projection a few milliseconds after the board service answered its caller, so
a member added or a list created a moment ago may not be in the projection yet. When the
projection denies or misses, the service asks the board service (``GET
/api/boards/{boardId}`` with the caller's own token, which answers 404 to non-members) and
decides on that current, authoritative answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from hintro_shared import jsonutil
from hintro_shared.authz import Role
from hintro_shared.boardview.model import BoardSnapshot, BoardState, LabelRef, ListRef
from hintro_shared.errors import DependencyUnavailable
from hintro_shared.http import REQUEST_ID_HEADER
from hintro_shared.internal import internal_authorization
from hintro_shared.overload import TIMEOUT_HEADER

_log = logging.getLogger(__name__)
_MAX_CONFIRMED = 100_000


class BoardServiceUnavailable(DependencyUnavailable):
    """The board service did not answer usefully in time (the request becomes a 503)."""


def parse_board(body: Any) -> BoardSnapshot:
    """A board as the board service renders it (members and lists) as a snapshot."""
    if not isinstance(body, dict):
        raise ValueError("board body is not an object")
    board_id = str(body["id"])
    members = {str(m["userId"]): Role(m["role"]) for m in body.get("members", [])}
    lists = tuple(
        ListRef(
            id=str(item["id"]),
            board_id=str(item.get("boardId", board_id)),
            position=str(item["position"]),
            version=int(item.get("version", 0)),
        )
        for item in body.get("lists", [])
    )
    version = int(body["version"])
    # A label carries no version of its own: every label change raises the board's.
    labels = tuple(
        LabelRef(
            id=str(item["id"]),
            board_id=board_id,
            name=str(item.get("name", "")),
            color=str(item.get("color", "")),
            version=version,
        )
        for item in body.get("labels", [])
    )
    return BoardSnapshot(
        board_id=board_id, version=version, members=members, lists=lists, labels=labels
    )


class BoardClient:
    """Fetches boards from the board service on behalf of the caller."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        session: aiohttp.ClientSession | None = None,
        *,
        trust_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        # Board id -> when the board service last answered it (None: grants never expire).
        self._trust = trust_seconds
        self._clock = clock
        self._confirmed: dict[str, float] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # The board service stops the read when this client stops waiting for it.
        self._deadline_ms = str(max(1, int(timeout * 1000)))
        self._session = session
        self.calls = 0
        """Requests made so far (observability and tests)."""

    async def start(self) -> None:
        """Open the pooled HTTP session."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30)
            )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def confirmed(self, board_id: str) -> bool:
        """Whether a grant the projection gives on this board may be used without asking: the
        board service answered for it within ``trust_seconds`` (always, without a bound)."""
        if self._trust is None:
            return True
        at = self._confirmed.get(board_id)
        return at is not None and self._clock() - at < self._trust

    def _remember(self, board_id: str, answered: bool) -> None:
        if not answered:
            self._confirmed.pop(board_id, None)
            return
        if len(self._confirmed) >= _MAX_CONFIRMED:
            self._confirmed.clear()  # rare; costs one board call per board afterwards
        self._confirmed[board_id] = self._clock()

    async def fetch_board(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> BoardSnapshot | None:
        """The board as the caller may see it now; ``None`` when the board service says 404
        (no such board, or the caller is not a member). Raises :class:`BoardServiceUnavailable`
        when it cannot say."""
        body = await self.fetch_board_json(
            board_id, authorization=authorization, request_id=request_id
        )
        if body is None:
            return None
        try:
            snapshot = parse_board(body)
        except (KeyError, ValueError, TypeError) as exc:
            _log.warning("board service answered an unreadable board: %s", exc)
            raise BoardServiceUnavailable("board service answered an unreadable board") from exc
        self._remember(board_id, answered=True)
        return snapshot

    async def fetch_board_json(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> Any:
        """The board's JSON as the board service renders it for the caller (titles included);
        ``None`` on 404. Raises :class:`BoardServiceUnavailable` when it cannot say."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            TIMEOUT_HEADER: self._deadline_ms,
        }
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        url = f"{self._base_url}/api/boards/{quote(board_id, safe='')}"
        self.calls += 1
        try:
            async with self._session.get(url, headers=headers, timeout=self._timeout) as response:
                if response.status == 404:
                    self._remember(board_id, answered=False)
                    return None
                if response.status != 200:
                    raise BoardServiceUnavailable(f"board service answered {response.status}")
                return jsonutil.loads(await response.read())
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("board service unreachable: %s", type(exc).__name__)
            raise BoardServiceUnavailable("board service unreachable") from exc
        except ValueError as exc:
            _log.warning("board service answered an unreadable board: %s", exc)
            raise BoardServiceUnavailable("board service answered an unreadable board") from exc

    async def board_states(
        self, board_ids: list[str], token: SecretStr
    ) -> tuple[list[BoardState], list[str]]:
        """The board service's membership of each of ``board_ids`` and the ids it no longer
        has (deleted), from its internal route. Raises :class:`BoardServiceUnavailable` when it
        cannot say (a refusal of the token included: nothing is concluded from it)."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        headers = {
            "Authorization": internal_authorization(token),
            "Content-Type": "application/json",
            TIMEOUT_HEADER: self._deadline_ms,
        }
        url = f"{self._base_url}/internal/board-states"
        self.calls += 1
        try:
            async with self._session.post(
                url,
                data=jsonutil.dumps_bytes({"ids": board_ids}),
                headers=headers,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise BoardServiceUnavailable(f"board service answered {response.status}")
                body = jsonutil.loads(await response.read())
                states = [
                    BoardState(
                        board_id=str(item["id"]),
                        version=int(item["version"]),
                        members={str(m["userId"]): Role(m["role"]) for m in item["members"]},
                    )
                    for item in body["boards"]
                ]
                missing = [str(board_id) for board_id in body["missing"]]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BoardServiceUnavailable("board service unreachable") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise BoardServiceUnavailable("board service answered unreadable states") from exc
        for state in states:
            self._remember(state.board_id, answered=True)
        for board_id in missing:
            self._remember(board_id, answered=False)
        return states, missing


BOARD_CLIENT = web.AppKey("hintro.boardview.board_client", BoardClient)


def board_client_ctx(
    client: BoardClient,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that opens and closes the board client's session."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await client.start()
        app[BOARD_CLIENT] = client
        yield
        await client.close()

    return ctx
