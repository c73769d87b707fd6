"""Reconciliation of a board projection (real MongoDB wire server) with the board service's
answer: a member the board service no longer has is removed, a changed role is written, a
board it no longer has is tombstoned (and its follow-up runs), a newer event already applied is
never undone, boards are checked at most once per interval unless a version gap marks them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection
from hintro_shared.boardview.model import BoardState
from hintro_shared.boardview.reconcile import ProjectionReconciler

pytestmark = pytest.mark.integration

TOKEN = SecretStr("t")


class BoardService:
    """The board service's internal answer, as the reconciler receives it."""

    def __init__(self) -> None:
        self.boards: dict[str, BoardState] = {}
        self.asked: list[list[str]] = []

    async def board_states(
        self, board_ids: list[str], token: SecretStr
    ) -> tuple[list[BoardState], list[str]]:
        assert token is TOKEN
        self.asked.append(sorted(board_ids))
        found = [self.boards[b] for b in board_ids if b in self.boards]
        return found, [b for b in board_ids if b not in self.boards]


def _reconciler(
    projection: BoardProjection, service: BoardService, deleted: list[str] | None = None
) -> ProjectionReconciler:
    async def on_deleted(board_id: str) -> None:
        if deleted is not None:
            deleted.append(board_id)

    return ProjectionReconciler(
        projection, service, TOKEN, service="test", interval=60.0, on_deleted=on_deleted
    )


async def test_a_missed_removal_and_demotion_are_corrected(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = BoardProjection(db)
    for user, role in (("owner", Role.OWNER), ("gone", Role.EDITOR), ("demoted", Role.EDITOR)):
        await projection.set_member("b1", user, role, 3)
    service = BoardService()
    service.boards["b1"] = BoardState(
        "b1", 6, {"owner": Role.OWNER, "demoted": Role.VIEWER, "new": Role.EDITOR}
    )
    assert await _reconciler(projection, service).run_once() == 1
    assert await projection.role_of("b1", "gone") is None
    assert await projection.role_of("b1", "demoted") is Role.VIEWER
    assert await projection.role_of("b1", "new") is Role.EDITOR
    assert await projection.role_of("b1", "owner") is Role.OWNER


async def test_a_newer_event_is_not_undone_by_an_older_answer(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = BoardProjection(db)
    await projection.set_member("b2", "owner", Role.OWNER, 1)
    await projection.set_member("b2", "late", Role.EDITOR, 8)  # added after the answer below
    service = BoardService()
    service.boards["b2"] = BoardState("b2", 5, {"owner": Role.OWNER})
    await _reconciler(projection, service).run_once()
    assert await projection.role_of("b2", "late") is Role.EDITOR


async def test_a_board_the_board_service_no_longer_has_is_tombstoned(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = BoardProjection(db)
    await projection.set_member("b3", "owner", Role.OWNER, 1)
    deleted: list[str] = []
    await _reconciler(projection, BoardService(), deleted).run_once()
    assert await projection.role_of("b3", "owner") is None
    assert deleted == ["b3"]


async def test_boards_are_checked_once_per_interval_unless_a_gap_marks_them(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = BoardProjection(db)
    service = BoardService()
    for board in ("c1", "c2"):
        await projection.set_member(board, "owner", Role.OWNER, 1)
        service.boards[board] = BoardState(board, 1, {"owner": Role.OWNER})
    reconciler = _reconciler(projection, service)
    assert await reconciler.run_once() == 2
    assert await reconciler.run_once() == 0  # both checked a moment ago

    # member_added at version 4 while the projection holds 1: versions 2 and 3 are missing.
    await projection.note_version("c2", 4, 1)
    await projection.set_member("c2", "x", Role.EDITOR, 4)
    # An event right after the one held is no gap.
    await projection.note_version("c1", 2, 1)
    service.asked.clear()
    assert await reconciler.run_once() == 1
    assert service.asked == [["c2"]]
    assert await reconciler.run_once() == 0  # the gap is resolved
