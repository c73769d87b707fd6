"""A big board end to end through the gateway: 5,000 tasks in 100 lists, seeded through the API
with bounded concurrency, then read page by page (``limit=100``, following ``next``): every task
exactly once, in board order (lists in their order, then by position).

It runs on a lean stack of its own (gateway, auth, board, task): the activity log records every
event of a board one at a time, so 5,100 events on one board would keep the shared stack's
activity and realtime services busy long after this test, delaying the e2e tests that follow
(and slowing the seeding itself on a 2-core machine). The lean stack gets its own exchange and
queues and removes them afterwards (its task events, which nothing there consumes, pile up in
the exchange's unrouted queue). The seed and the read are timed and printed (``-s``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from tests.e2e.boards_helpers import User, all_tasks, create_board, ok, register
from tests.e2e.stacks import isolated_stack

LISTS = 100
TASKS = 5_000
CONCURRENCY = 20


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lean(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Gateway, auth, board and task only, with broker names of their own."""
    async with isolated_stack(
        tmp_path_factory.mktemp("keys"), name="scale", only=("gateway", "auth", "board", "task")
    ) as running:
        yield running


async def _bounded(calls: list[Any], limit: int) -> list[Any]:
    """Await the coroutines with at most ``limit`` in flight; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with gate:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in calls))


async def _create_list(http: aiohttp.ClientSession, owner: User, board_id: str, n: int) -> Any:
    return await ok(
        http, owner, "POST", f"api/boards/{board_id}/lists", 201, json_body={"title": f"L{n}"}
    )


async def _create_task(
    http: aiohttp.ClientSession, owner: User, board_id: str, list_id: str, n: int
) -> Any:
    return await ok(
        http,
        owner,
        "POST",
        f"api/boards/{board_id}/tasks",
        201,
        json_body={"listId": list_id, "title": f"T{n}"},
    )


@pytest.mark.timeout(180)
async def test_five_thousand_tasks_load_page_by_page_in_board_order(lean: Stack) -> None:
    async with aiohttp.ClientSession(base_url=f"{lean.gateway_url}/") as http:
        await _seed_and_read(http)


async def _seed_and_read(http: aiohttp.ClientSession) -> None:
    owner = await register(http, "owner")
    board = await create_board(http, owner, "Big board")
    board_id = board["id"]
    started = time.monotonic()

    # Lists one after another (each appended at the end), so their order is known.
    lists = [await _create_list(http, owner, board_id, n) for n in range(LISTS)]
    list_ids = [item["id"] for item in lists]
    # Tasks round-robin over the lists, 20 in flight: concurrent appends to the same list and
    # to different lists at once.
    created = await _bounded(
        [_create_task(http, owner, board_id, list_ids[n % LISTS], n) for n in range(TASKS)],
        CONCURRENCY,
    )
    seeded = time.monotonic() - started

    read_started = time.monotonic()
    items = await all_tasks(http, owner, board_id, limit=100)
    read = time.monotonic() - read_started
    print(f"\nseeded {LISTS} lists + {TASKS} tasks in {seeded:.1f}s, read in {read:.1f}s")

    ids = [task["id"] for task in items]
    assert len(ids) == TASKS
    assert set(ids) == {task["id"] for task in created}  # every task exactly once
    # Board order: the lists in their order, each list's tasks by strictly increasing position.
    board_lists = await ok(http, owner, "GET", f"api/boards/{board_id}/lists")
    assert [item["id"] for item in board_lists] == list_ids
    rank = {list_id: index for index, list_id in enumerate(list_ids)}
    keys = [(rank[task["listId"]], task["position"]) for task in items]
    assert all(a < b for a, b in pairwise(keys)), "not in board order"
    per_list = {list_id: 0 for list_id in list_ids}
    for task in items:
        per_list[task["listId"]] += 1
    assert set(per_list.values()) == {TASKS // LISTS}
    # The listing carries whole tasks, as GET /api/tasks/{id} does.
    sample = items[TASKS // 2]
    assert await ok(http, owner, "GET", f"api/tasks/{sample['id']}") == sample
