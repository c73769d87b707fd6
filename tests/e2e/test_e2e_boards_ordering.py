"""Ordering end to end through the gateway: a seeded random walk of list and task moves keeps a
strict total order that matches a local model and rewrites only the moved item, and concurrent
moves to one anchor all land, at distinct places, right at that anchor."""

from __future__ import annotations

import asyncio
import random
from itertools import pairwise
from typing import Any

import aiohttp

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    all_tasks,
    cast,
    create_board,
    create_list,
    create_task,
    ok,
)

SEED = 20261128
MOVES = 50


class Model:
    """The order the server should show: lists in order, and each list's tasks in order."""

    def __init__(self) -> None:
        self.lists: list[str] = []
        self.tasks: dict[str, list[str]] = {}

    def list_of(self, task_id: str) -> str:
        """The list holding ``task_id``."""
        return next(list_id for list_id, tasks in self.tasks.items() if task_id in tasks)

    @staticmethod
    def place(order: list[str], item: str, after: str | None, before: str | None) -> None:
        """Put ``item`` (already removed) right after ``after``, else right before ``before``,
        else at the end: the rule both services document."""
        if after is not None:
            order.insert(order.index(after) + 1, item)
        elif before is not None:
            order.insert(order.index(before), item)
        else:
            order.append(item)


def _anchors(rng: random.Random, order: list[str]) -> tuple[str | None, str | None]:
    """Random anchors in ``order`` (the moving item already left out): after one, before one,
    between two neighbours, or none (the end)."""
    shape = rng.choice(("after", "before", "between", "end"))
    if not order or shape == "end":
        return None, None
    index = rng.randrange(len(order))
    if shape == "after":
        return order[index], None
    if shape == "before":
        return None, order[index]
    if index + 1 < len(order):
        return order[index], order[index + 1]
    return order[index], None


async def _observed(
    http: aiohttp.ClientSession, user: User, board_id: str
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The lists (in the board's order) and each list's tasks (in listing order)."""
    lists = await ok(http, user, "GET", f"api/boards/{board_id}/lists")
    by_list: dict[str, list[dict[str, Any]]] = {item["id"]: [] for item in lists}
    for list_item in lists:
        page = await ok(
            http, user, "GET", f"api/boards/{board_id}/tasks?listId={list_item['id']}&limit=100"
        )
        assert page["next"] is None
        by_list[list_item["id"]] = page["items"]
    return lists, by_list


def _assert_strictly_increasing(items: list[dict[str, Any]], what: str) -> None:
    positions = [item["position"] for item in items]
    assert all(a < b for a, b in pairwise(positions)), (what, positions)


def _stamps(
    lists: list[dict[str, Any]], by_list: dict[str, list[dict[str, Any]]]
) -> dict[str, tuple[str, int, str]]:
    """Every item's (position, version, container), by id."""
    stamps = {item["id"]: (item["position"], item["version"], item["boardId"]) for item in lists}
    for tasks in by_list.values():
        stamps |= {
            task["id"]: (task["position"], task["version"], task["listId"]) for task in tasks
        }
    return stamps


async def _seed(
    http: aiohttp.ClientSession, owner: User, lists: int, tasks_per_list: int
) -> tuple[str, Model]:
    board = await create_board(http, owner, "Ordering")
    model = Model()
    for index in range(lists):
        created = await create_list(http, owner, board["id"], f"L{index}")
        model.lists.append(created["id"])
        model.tasks[created["id"]] = []
        for number in range(tasks_per_list):
            task = await create_task(http, owner, board["id"], created["id"], f"T{index}.{number}")
            model.tasks[created["id"]].append(task["id"])
    return board["id"], model


async def test_random_moves_keep_a_strict_order_and_touch_only_the_moved_item(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board_id, model = await _seed(http, owner, lists=5, tasks_per_list=4)
    # One empty list, so tasks also move into and out of emptiness.
    empty = await create_list(http, owner, board_id, "Empty")
    model.lists.append(empty["id"])
    model.tasks[empty["id"]] = []
    rng = random.Random(SEED)
    lists, by_list = await _observed(http, owner, board_id)

    for step in range(MOVES):
        before = _stamps(lists, by_list)
        if rng.random() < 0.3:
            moving = rng.choice(model.lists)
            model.lists.remove(moving)
            after, before_id = _anchors(rng, model.lists)
            if after is None and before_id is None:
                after = model.lists[-1]  # a list moves only when an anchor is named
            Model.place(model.lists, moving, after, before_id)
            body = {k: v for k, v in (("afterId", after), ("beforeId", before_id)) if v}
            moved = await ok(http, owner, "PATCH", f"api/lists/{moving}", json_body=body)
        else:
            all_tasks_now = [task for tasks in model.tasks.values() for task in tasks]
            moving = rng.choice(all_tasks_now)
            model.tasks[model.list_of(moving)].remove(moving)
            target = rng.choice(model.lists)
            after, before_id = _anchors(rng, model.tasks[target])
            Model.place(model.tasks[target], moving, after, before_id)
            body = {"listId": target}
            body |= {k: v for k, v in (("afterId", after), ("beforeId", before_id)) if v}
            moved = await ok(http, owner, "POST", f"api/tasks/{moving}/move", json_body=body)
            assert moved["listId"] == target

        lists, by_list = await _observed(http, owner, board_id)
        context = f"step {step}: {moving} {body}"
        assert [item["id"] for item in lists] == model.lists, context
        _assert_strictly_increasing(lists, context)
        for list_id, tasks in by_list.items():
            assert [task["id"] for task in tasks] == model.tasks[list_id], context
            _assert_strictly_increasing(tasks, context)
        after_stamps = _stamps(lists, by_list)
        assert after_stamps[moving][0] == moved["position"], context
        assert after_stamps[moving][1] == before[moving][1] + 1, context
        # Only the moved item was rewritten: every other position and version is as it was.
        assert {k: v for k, v in after_stamps.items() if k != moving} == {
            k: v for k, v in before.items() if k != moving
        }, context

    # The whole-board listing follows the board's list order (the task service learns list
    # moves from list.updated events, a moment after the board service answered).
    expected = [task for list_id in model.lists for task in model.tasks[list_id]]

    async def listing_in_board_order() -> bool:
        return [task["id"] for task in await all_tasks(http, owner, board_id)] == expected

    await wait_for(listing_in_board_order, within=5.0, what="the listing in board order")


async def test_concurrent_task_moves_to_one_anchor_land_at_distinct_ordered_places(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board_id, model = await _seed(http, owner, lists=2, tasks_per_list=5)
    home, other = model.lists
    anchor, successor = model.tasks[home][0], model.tasks[home][1]
    # Five tasks from both lists all aim at "right after the anchor" at once.
    movers = [*model.tasks[other][:3], *model.tasks[home][3:5]]
    replies = await asyncio.gather(
        *(
            ok(
                http,
                owner,
                "POST",
                f"api/tasks/{task}/move",
                json_body={"listId": home, "afterId": anchor},
            )
            for task in movers
        )
    )
    assert len({reply["position"] for reply in replies}) == len(movers)

    _, by_list = await _observed(http, owner, board_id)
    tasks = by_list[home]
    _assert_strictly_increasing(tasks, "home list")
    ids = [task["id"] for task in tasks]
    assert len(ids) == len(set(ids)) == 8
    # All five sit between the anchor and its old successor, in some order.
    assert ids[0] == anchor
    assert set(ids[1:6]) == set(movers)
    assert ids[6:] == [successor, model.tasks[home][2]]
    assert [task["id"] for task in by_list[other]] == model.tasks[other][3:]
    assert {task["id"]: task["position"] for task in tasks if task["id"] in movers} == {
        reply["id"]: reply["position"] for reply in replies
    }


async def test_concurrent_list_moves_to_one_anchor_land_at_distinct_ordered_places(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board_id, model = await _seed(http, owner, lists=8, tasks_per_list=0)
    anchor, successor, *rest = model.lists
    movers = rest[-5:]
    replies = await asyncio.gather(
        *(
            ok(http, owner, "PATCH", f"api/lists/{list_id}", json_body={"afterId": anchor})
            for list_id in movers
        )
    )
    assert len({reply["position"] for reply in replies}) == len(movers)

    lists = await ok(http, owner, "GET", f"api/boards/{board_id}/lists")
    _assert_strictly_increasing(lists, "lists")
    ids = [item["id"] for item in lists]
    assert ids[0] == anchor
    assert set(ids[1:6]) == set(movers)
    assert ids[6:] == [successor, *rest[:-5]]
