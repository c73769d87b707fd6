"""The task listing: cursor pages over several lists return every task exactly once, ordered
by the lists' own order and then by position."""

from __future__ import annotations

from typing import Any

import pytest

from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def all_pages(harness: Harness, path: str, user: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        sep = "&" if "?" in path else "?"
        status, page = await harness.request("GET", f"{path}{sep}{query}", user)
        assert status == 200, page
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            return items
        assert len(page["items"]) == limit
    raise AssertionError("pagination did not end")


@pytest.fixture(scope="module")
async def filled(harness: Harness) -> tuple[FakeBoard, list[str]]:
    """A board with lists of 13, 0, 6 and 1 tasks, some inserted out of order."""
    owner = unique("owner")
    board = await harness.board(owner, lists=4)
    expected: list[str] = []
    for index, count in enumerate((13, 0, 6, 1)):
        in_list: list[str] = []
        for i in range(count):
            if in_list and i % 3 == 0:
                task = await harness.create_task(board, owner, index, beforeId=in_list[0])
                in_list.insert(0, task["id"])
            else:
                task = await harness.create_task(board, owner, index)
                in_list.append(task["id"])
        expected.extend(in_list)
    other = await harness.board(owner, lists=1)
    await harness.create_task(other, owner)  # another board's task never shows up
    return board, expected


@pytest.mark.parametrize("limit", [1, 4, 7, 20, 100])
async def test_pages_return_every_task_once_in_board_order(
    harness: Harness, filled: tuple[FakeBoard, list[str]], limit: int
) -> None:
    board, expected = filled
    items = await all_pages(harness, f"/api/boards/{board.id}/tasks", board.owner, limit)
    assert [task["id"] for task in items] == expected


async def test_list_filter_pages_one_list(
    harness: Harness, filled: tuple[FakeBoard, list[str]]
) -> None:
    board, expected = filled
    path = f"/api/boards/{board.id}/tasks?listId={board.lists[2].id}"
    items = await all_pages(harness, path, board.owner, 4)
    assert [task["id"] for task in items] == expected[13:19]
    assert {task["listId"] for task in items} == {board.lists[2].id}


async def test_default_page_is_fifty(harness: Harness, filled: tuple[FakeBoard, list[str]]) -> None:
    board, expected = filled
    status, page = await harness.request("GET", f"/api/boards/{board.id}/tasks", board.owner)
    assert status == 200
    assert [task["id"] for task in page["items"]] == expected
    assert page["next"] is None


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=eyJ4IjoxfQ", "unknown=1"],
)
async def test_bad_query_is_422(
    harness: Harness, filled: tuple[FakeBoard, list[str]], query: str
) -> None:
    board, _ = filled
    status, problem = await harness.request(
        "GET", f"/api/boards/{board.id}/tasks?{query}", board.owner
    )
    assert status == 422
    assert problem["status"] == 422


async def test_list_filter_with_another_boards_list_is_422(
    harness: Harness, filled: tuple[FakeBoard, list[str]]
) -> None:
    board, _ = filled
    other = await harness.board(board.owner, lists=1)
    status, problem = await harness.request(
        "GET", f"/api/boards/{board.id}/tasks?listId={other.lists[0].id}", board.owner
    )
    assert status == 422
    assert problem["errors"][0]["loc"] == ["query", "listId"]
