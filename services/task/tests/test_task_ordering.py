"""Ordering of tasks under moves: random sequences of moves (seeded, so a failure replays)
keep every list in a strict total order that matches a simple model, and each move rewrites
the moved task only; concurrent moves to the same anchor all land, distinct and in order."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration

Model = dict[str, list[str]]


async def stored(harness: Harness, board: FakeBoard) -> dict[str, tuple[str, str, int]]:
    """Every live task of the board: id -> (listId, position, version)."""
    cursor = harness.tasks.find({"boardId": board.id, "deleted": {"$nin": [True]}})
    return {d["_id"]: (d["listId"], d["position"], d["version"]) async for d in cursor}


def order_of(state: dict[str, tuple[str, str, int]], list_id: str) -> list[str]:
    in_list = [(pos, tid) for tid, (lid, pos, _) in state.items() if lid == list_id]
    positions = [pos for pos, _ in in_list]
    assert len(set(positions)) == len(positions), "two tasks share a position"
    return [tid for _, tid in sorted(in_list)]


def choose_move(rng: random.Random, model: Model, task_id: str) -> tuple[str, dict[str, Any], int]:
    """A random target and anchors for ``task_id``; returns (list, body extras, model index)."""
    list_id = rng.choice(list(model))
    others = [t for t in model[list_id] if t != task_id]
    kind = rng.choice(["end", "after", "before", "between"]) if others else "end"
    if kind == "end":
        return list_id, {}, len(others)
    index = rng.randrange(len(others))
    if kind == "after":
        return list_id, {"afterId": others[index]}, index + 1
    if kind == "before":
        return list_id, {"beforeId": others[index]}, index
    if index + 1 < len(others):
        return list_id, {"afterId": others[index], "beforeId": others[index + 1]}, index + 1
    return list_id, {"afterId": others[index]}, index + 1


@pytest.mark.parametrize("seed", [11, 23, 47])
async def test_random_moves_keep_a_strict_order_and_touch_only_the_moved_task(
    harness: Harness, seed: int
) -> None:
    rng = random.Random(seed)
    owner = unique("owner")
    board = await harness.board(owner, lists=3)
    model: Model = {list_id: [] for list_id in board.list_ids}
    for i in range(12):
        index = rng.randrange(3)
        task = await harness.create_task(board, owner, index, title=f"t{i}")
        model[board.list_ids[index]].append(task["id"])
    all_ids = [tid for ids in model.values() for tid in ids]

    for _ in range(40):
        task_id = rng.choice(all_ids)
        before = await stored(harness, board)
        list_id, anchors, index = choose_move(rng, model, task_id)
        status, moved = await harness.request(
            "POST", f"/api/tasks/{task_id}/move", owner, {"listId": list_id, **anchors}
        )
        assert status == 200, moved
        for ids in model.values():
            if task_id in ids:
                ids.remove(task_id)
        model[list_id].insert(index, task_id)

        after = await stored(harness, board)
        assert after[task_id] == (list_id, moved["position"], before[task_id][2] + 1)
        assert {t: s for t, s in after.items() if t != task_id} == {
            t: s for t, s in before.items() if t != task_id
        }, "a move rewrote another task"
        for lid, ids in model.items():
            assert order_of(after, lid) == ids

    status, page = await harness.request("GET", f"/api/boards/{board.id}/tasks?limit=100", owner)
    assert status == 200
    assert [t["id"] for t in page["items"]] == [t for lid in board.list_ids for t in model[lid]]


async def test_concurrent_moves_to_the_same_anchor_end_distinct_and_ordered(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=2)
    anchor = await harness.create_task(board, owner, 0, title="anchor")
    follower = await harness.create_task(board, owner, 0, title="follower")
    movers = [await harness.create_task(board, owner, 1, title=f"m{i}") for i in range(8)]

    results = await asyncio.gather(
        *(
            harness.request(
                "POST",
                f"/api/tasks/{task['id']}/move",
                owner,
                {"listId": board.lists[0].id, "afterId": anchor["id"]},
            )
            for task in movers
        )
    )
    assert [status for status, _ in results] == [200] * len(movers)
    positions = [body["position"] for _, body in results]
    assert len(set(positions)) == len(positions)
    assert all(anchor["position"] < p < follower["position"] for p in positions)

    final = order_of(await stored(harness, board), board.lists[0].id)
    assert final[0] == anchor["id"]
    assert final[-1] == follower["id"]
    assert set(final[1:-1]) == {task["id"] for task in movers}


async def test_concurrent_creates_at_the_end_of_a_list_all_land_in_order(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner, lists=1)
    results = await asyncio.gather(
        *(
            harness.request(
                "POST",
                f"/api/boards/{board.id}/tasks",
                owner,
                {"listId": board.lists[0].id, "title": f"c{i}"},
            )
            for i in range(10)
        )
    )
    assert [status for status, _ in results] == [201] * 10
    final = order_of(await stored(harness, board), board.lists[0].id)
    assert sorted(final) == sorted(body["id"] for _, body in results)
