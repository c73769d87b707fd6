"""What the activity log's page reads cost the database, call by call, on a long log.

``python -m bench.activity_calls`` (not part of ``make bench``) starts a private nx-27017 (or
uses ``--mongo-url``), writes ``--entries`` entries on each of ``--boards`` boards the way the
activity service stores them (with their place, ``hintro_activity.repository.PLACE``), then runs
each read ``--repeat`` times and reports the database process's CPU and this process's CPU per
call (from ``/proc``). The history page and the replay are read as the service reads them (by
place), as a read by ``seq`` with the board's id as an equality would (the comparison the
place was chosen on: nx-27017 serves no equality with an index, so that read examines every
entry), and once by ``seq`` with the board's id as a closed range (``hintro_shared.mongo.exactly``).
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
from hintro_activity.repository import PLACE, ActivityLog, entry_place
from hintro_shared.mongo import exactly

PAGE = 51  # a history page of 50 and the one that says whether there is more
REPLAY = 100


def say(message: str) -> None:
    print(f"activity calls | {message}", file=sys.stderr, flush=True)


async def seed(log: ActivityLog, boards: list[str], entries: int) -> None:
    await log.create_indexes()
    for board in boards:
        docs = [
            {
                "_id": f"{board}-{seq}",
                "boardId": board,
                "seq": seq,
                PLACE: entry_place(board, seq),
                "type": "task.moved",
                "actor": {"id": "u1"},
                "subject": {"kind": "task", "id": f"t{seq % 300}"},
                "summary": f"Ada moved task {seq % 300} to Done",
                "names": [{"k": "user", "id": "u1", "name": "Ada"}],
                "unresolved": False,
                "data": {"taskId": f"t{seq % 300}", "listId": "l2", "position": "a0"},
                "createdAt": "2026-12-06T06:00:00.000Z",
            }
            for seq in range(1, entries + 1)
        ]
        for start in range(0, len(docs), 2000):
            await log.entries.insert_many(docs[start : start + 2000])
        await log.counters.insert_one({"_id": board, "seq": entries})


async def measure(
    log: ActivityLog, pid: int | None, boards: list[str], entries: int, repeat: int
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    board = boards[0]
    middle = entries // 2
    hidden = {"outbox": 0, "outboxPending": 0}

    def by_seq(
        query: dict[str, Any], order: int, limit: int, board_as: Any = board
    ) -> Awaitable[list[Any]]:
        return (
            log.entries.find({"boardId": board_as, **query}, hidden)
            .sort("seq", order)
            .limit(limit)
            .to_list()
        )

    calls: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("history, newest page, by place", lambda n: log.newest(board, PAGE, None)),
        ("history, older page, by place", lambda n: log.newest(board, PAGE, middle)),
        ("replay, 100 after, by place", lambda n: log.after(board, entries - REPLAY, REPLAY)),
        ("history, newest page, by seq", lambda n: by_seq({}, DESCENDING, PAGE)),
        (
            "history, older page, by seq",
            lambda n: by_seq({"seq": {"$lt": middle}}, DESCENDING, PAGE),
        ),
        (
            "replay, 100 after, by seq",
            lambda n: by_seq({"seq": {"$gt": entries - REPLAY}}, ASCENDING, REPLAY),
        ),
        (
            "history, newest page, by seq, the board as a range",
            lambda n: by_seq({"seq": {"$gt": 0}}, DESCENDING, PAGE, exactly(board)),
        ),
        (
            "history, older page, by seq, the board as a range",
            lambda n: by_seq({"seq": {"$lt": middle}}, DESCENDING, PAGE, exactly(board)),
        ),
        (
            "replay, 100 after, by seq, the board as a range",
            lambda n: by_seq({"seq": {"$gt": entries - REPLAY}}, ASCENDING, REPLAY, exactly(board)),
        ),
        ("the board's head", lambda n: log.head(board)),
    ]
    # Both ways must read the same pages, or the comparison means nothing.
    pairs = [(calls[i][1], calls[i + 3][1]) for i in range(3)]
    agree = True
    for by_place, seq in pairs:
        placed, seqd = await by_place(0), await seq(0)
        agree = agree and [doc["_id"] for doc in placed] == [doc["_id"] for doc in seqd]
    figures["pages agree"] = agree
    for name, call in calls:
        figures[name] = await per_call(pid, call, repeat)
        say(f"{name}: {figures[name]}")
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with scratch_database(args.mongo_url, "activity_calls") as (db, pid):
        log = ActivityLog(db)
        boards = [f"board{n:03d}" for n in range(args.boards)]
        await seed(log, boards, args.entries)
        say(f"seeded {args.boards} boards of {args.entries} entries")
        return await measure(log, pid, boards, args.entries, args.repeat)


def main(argv: list[str] | None = None) -> int:
    found = parser("python -m bench.activity_calls", __doc__, "activity-calls", 100)
    found.add_argument("--entries", type=int, default=2500, help="entries a board (2500)")
    found.add_argument("--boards", type=int, default=4, help="boards (4)")
    args = found.parse_args(argv)
    report("activity_calls", asyncio.run(run(args)), args, entries=args.entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
