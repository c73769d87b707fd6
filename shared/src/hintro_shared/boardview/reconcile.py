"""Self-healing board projections: every board a service holds is compared with the board
service's membership on a bounded schedule, whether or not anyone uses it.

Events keep a projection current within milliseconds, but an event can be missed for good
(dead-lettered after its retries, lost): a removal, a demotion or a deletion would then leave
access wider than the board service says. :class:`ProjectionReconciler` bounds that:

- every ``interval`` seconds at most, each live board of the projection is checked against the
  board service (``POST /internal/board-states``, a batch of ids per call): members the board
  service has are written at its version, members it no longer has are removed, a board it no
  longer has is tombstoned. Every write is version-guarded, so a newer event already applied
  is never undone;
- a board whose membership event arrives with a version gap (``v`` when the projection holds
  an older version than ``v - 1``) is marked suspect and checked on the next tick, without
  waiting for its turn.

So a missed event leaves access wider than the board service says for at most ``interval``
plus one tick (``interval / 4``), while the board service answers. The tick runs in every
replica; each claims nothing and simply checks the boards due, so two replicas may check a
board twice (harmless, guarded writes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from prometheus_client import Counter
from pydantic import SecretStr

from hintro_shared.authz import Role
from hintro_shared.boardview.model import BoardState
from hintro_shared.boardview.settings import BoardViewSettings
from hintro_shared.periodic import Periodic

_log = logging.getLogger(__name__)

RECONCILED = Counter(
    "hintro_projection_reconciled_total",
    "Board projection entries corrected by reconciliation with the board service (a missed "
    "event), by what was corrected",
    ["service", "change"],
)

OnDeleted = Callable[[str], Awaitable[None]]


class ReconciledProjection(Protocol):
    """What reconciliation reads and writes in a board projection (``BoardProjection``)."""

    async def due_for_check(self, checked_before: int, limit: int) -> list[str]: ...

    async def members_of(self, board_id: str) -> dict[str, Role]: ...

    async def set_member(self, board_id: str, user_id: str, role: Role | None, v: int) -> bool: ...

    async def delete_board(self, board_id: str, v: int) -> None: ...

    async def mark_checked(self, board_id: str, at: int, started: int) -> None: ...


class BoardStates(Protocol):
    """The board service's internal answer (``BoardClient``)."""

    async def board_states(
        self, board_ids: list[str], token: SecretStr
    ) -> tuple[list[BoardState], list[str]]: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


class ProjectionReconciler:
    """The background loop that keeps one service's board projection within ``interval``
    seconds of the board service."""

    def __init__(
        self,
        projection: ReconciledProjection,
        board_service: BoardStates,
        token: SecretStr,
        *,
        service: str,
        interval: float,
        batch: int = 200,
        on_deleted: OnDeleted | None = None,
    ) -> None:
        self._projection = projection
        self._board_service = board_service
        self._token = token
        self._service = service
        self._interval = interval
        self._batch = batch
        self._on_deleted = on_deleted
        self._loop = Periodic(f"{service}-reconciler", self.tick, self.run_once)

    @property
    def tick(self) -> float:
        """Seconds between two looks for due boards."""
        return self._interval / 4

    async def run_once(self) -> int:
        """Check every board that is due now; the number checked."""
        started = _now_ms()
        # Due: last checked more than 3/4 of the interval ago, so with a tick of 1/4 no board
        # waits longer than the interval between two checks.
        checked_before = started - int(self._interval * 750)
        checked = 0
        seen: set[str] = set()
        while True:
            due = [
                board_id
                for board_id in await self._projection.due_for_check(checked_before, self._batch)
                if board_id not in seen
            ]
            if not due:
                return checked
            seen.update(due)
            states, missing = await self._board_service.board_states(due, self._token)
            for state in states:
                await self._apply(state)
                await self._projection.mark_checked(state.board_id, _now_ms(), started)
            for board_id in missing:
                await self._delete(board_id)
            checked += len(due)

    async def _apply(self, state: BoardState) -> None:
        held = await self._projection.members_of(state.board_id)
        for user_id, role in state.members.items():
            if held.get(user_id) != role and await self._projection.set_member(
                state.board_id, user_id, role, state.version
            ):
                RECONCILED.labels(self._service, "member").inc()
                _log.warning(
                    "projection corrected: member's role",
                    extra={"boardId": state.board_id, "userId": user_id, "role": role.value},
                )
        for user_id in held.keys() - state.members.keys():
            if await self._projection.set_member(state.board_id, user_id, None, state.version):
                RECONCILED.labels(self._service, "removal").inc()
                _log.warning(
                    "projection corrected: member removed",
                    extra={"boardId": state.board_id, "userId": user_id},
                )

    async def _delete(self, board_id: str) -> None:
        await self._projection.delete_board(board_id, 0)
        RECONCILED.labels(self._service, "deletion").inc()
        _log.warning("projection corrected: board deleted", extra={"boardId": board_id})
        if self._on_deleted is not None:
            await self._on_deleted(board_id)

    def start(self) -> None:
        """Start the background loop (idempotent). A failed tick (the board service or the
        database away) is logged and the next one tries again; meanwhile access is still
        re-checked on use (PROJECTION_TRUST_SECONDS)."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the loop."""
        await self._loop.stop()


def start_reconciler(
    settings: BoardViewSettings,
    projection: ReconciledProjection,
    board_service: BoardStates,
    *,
    on_deleted: OnDeleted | None = None,
) -> ProjectionReconciler | None:
    """The service's reconciler, started; ``None`` (with a warning) when it is off:
    ``PROJECTION_RECONCILE_SECONDS=0`` or no ``INTERNAL_TOKEN`` to ask the board service with.
    Access is then still re-checked on use after ``PROJECTION_TRUST_SECONDS``."""
    token = settings.internal_token
    if settings.projection_reconcile_seconds <= 0 or token is None:
        _log.warning(
            "board projection reconciliation is off",
            extra={"reason": "no INTERNAL_TOKEN" if token is None else "interval 0"},
        )
        return None
    reconciler = ProjectionReconciler(
        projection,
        board_service,
        token,
        service=settings.service_name,
        interval=settings.projection_reconcile_seconds,
        on_deleted=on_deleted,
    )
    reconciler.start()
    return reconciler
