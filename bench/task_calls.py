"""What the task service's list and board reads cost the database, call by call, as the
database holds more tasks.

``python -m bench.task_calls`` (not part of ``make bench``) starts a private nx-27017 (or uses
``--mongo-url``), writes ``--tasks`` tasks over ``--boards`` boards of 3 lists each with the
task repository's indexes, then runs each read ``--repeat`` times on one small list and board
and reports the database process's CPU and this process's CPU per call (from ``/proc``). Each
read is run as the repository runs it (the list or board id as a closed range,
``hintro_shared.mongo.exactly``) and with a plain equality (the comparison that range was
chosen on: on nx-27017 an equality reads every task in the database).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import ASCENDING, DESCENDING

from bench.calls import parser, report, scratch_database
from bench.procs import per_call
from hintro_shared.events.outbox import LIVE
from hintro_shared.mongo import exactly
from hintro_task.repository import NOT_ARCHIVED, TASK_FIELDS, TaskRepository

PAGE = 51  # a list's page of 50 and the one that says whether there is more


def say(message: str) -> None:
    print(f"task calls | {message}", file=sys.stderr, flush=True)


def task_doc(n: int, board: int, lst: int) -> dict[str, Any]:
    return {
        "_id": f"task{n:07d}",
        "boardId": f"board{board:04d}",
        "listId": f"board{board:04d}-list{lst}",
        "title": f"Task {n}",
        "description": "",
        "position": f"a{n:07d}",
        "assigneeIds": [],
        "labelIds": [],
        "createdBy": "u1",
        "createdAt": "2026-12-06T06:00:00.000Z",
        "updatedAt": "2026-12-06T06:00:00.000Z",
        "version": 1,
        "archived": 0,
        "outboxPending": 0,
    }


async def seed(repo: TaskRepository, tasks: int, boards: int) -> None:
    await repo.create_indexes()
    docs = [task_doc(n, n % boards, (n // boards) % 3) for n in range(tasks)]
    for start in range(0, len(docs), 2000):
        await repo.collection.insert_many(docs[start : start + 2000])


async def measure(
    repo: TaskRepository, pid: int | None, boards: int, repeat: int
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    board = f"board{boards - 1:04d}"
    lst = f"{board}-list0"
    tasks = repo.collection
    kept = {**LIVE, **NOT_ARCHIVED}

    def page(condition: Any) -> Awaitable[list[Any]]:
        query = {"listId": condition, **kept}
        return tasks.find(query, TASK_FIELDS).sort("position", ASCENDING).limit(PAGE).to_list()

    def last(condition: Any) -> Awaitable[Any]:
        query = {"listId": condition, **kept}
        return tasks.find_one(query, {"position": 1}, sort=[("position", DESCENDING)])

    def of_board(condition: Any) -> Awaitable[list[Any]]:
        order = [("listId", ASCENDING), ("position", ASCENDING)]
        return tasks.find({"boardId": condition, **kept}, TASK_FIELDS).sort(order).to_list()

    calls: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("a list's page, as a range", lambda n: page(exactly(lst))),
        ("a list's last position, as a range", lambda n: last(exactly(lst))),
        ("a board's tasks, as a range", lambda n: of_board(exactly(board))),
        ("a list's page, equality", lambda n: page(lst)),
        ("a list's last position, equality", lambda n: last(lst)),
        ("a board's tasks, equality", lambda n: of_board(board)),
    ]
    # Both ways must read the same tasks, or the comparison means nothing.
    agree = True
    for (_, ranged), (_, equal) in zip(calls[:3], calls[3:], strict=True):
        agree = agree and await ranged(0) == await equal(0)
    figures["reads agree"] = agree
    figures["the list's tasks"] = len(await repo.active_of_list(lst))
    for name, call in calls:
        figures[name] = await per_call(pid, call, repeat)
        say(f"{name}: {figures[name]}")
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with scratch_database(args.mongo_url, "task_calls") as (db, pid):
        repo = TaskRepository(db)
        await seed(repo, args.tasks, args.boards)
        say(f"seeded {args.tasks} tasks over {args.boards} boards")
        return await measure(repo, pid, args.boards, args.repeat)


def main(argv: list[str] | None = None) -> int:
    found = parser("python -m bench.task_calls", __doc__, "task-calls", 50)
    found.add_argument("--tasks", type=int, default=6000, help="tasks in the database (6000)")
    found.add_argument("--boards", type=int, default=40, help="boards they spread over (40)")
    args = found.parse_args(argv)
    report("task_calls", asyncio.run(run(args)), args, tasks=args.tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
