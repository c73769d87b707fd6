"""What the activity log's page reads cost the database, call by call, on a long log.

``python -m bench.activity_calls`` (not part of ``make bench``) starts a private nx-27017 (or
uses ``--mongo-url``), writes ``--entries`` entries on each of ``--boards`` boards the way the
activity service stores them (with their place, ``hintro_activity.repository.PLACE``), then runs
each read ``--repeat`` times and reports the database process's CPU and this process's CPU per
call (from ``/proc``). The history page and the replay are read as the service reads them (by
place) and as a read by ``seq`` would (the comparison the place was chosen on: on nx-27017 a
condition on ``seq`` examines every entry of the board).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient

from bench.procs import per_call
from bench.report import write_json
from hintro_activity.repository import PLACE, ActivityLog, entry_place
from hintro_devtools.mongo import ensure_mongo
from hintro_devtools.ports import free_port

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

    def by_seq(query: dict[str, Any], order: int, limit: int) -> Awaitable[list[Any]]:
        return (
            log.entries.find({"boardId": board, **query}, hidden)
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
    with tempfile.TemporaryDirectory(prefix="hintro-activity-calls-") as scratch:
        mongo = (
            None
            if args.mongo_url
            else ensure_mongo(None, port=free_port(), data_dir=Path(scratch), reuse=False)
        )
        url = args.mongo_url or (mongo.url if mongo else "")
        pid = mongo.process.pid if mongo and mongo.process else None
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
        try:
            await client.drop_database("activity_calls")
            log = ActivityLog(client["activity_calls"])
            boards = [f"board{n:03d}" for n in range(args.boards)]
            await seed(log, boards, args.entries)
            say(f"seeded {args.boards} boards of {args.entries} entries")
            return await measure(log, pid, boards, args.entries, args.repeat)
        finally:
            await client.drop_database("activity_calls")
            await client.close()
            if mongo is not None:
                mongo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activity_calls", description=__doc__)
    parser.add_argument("--entries", type=int, default=2500, help="entries a board (2500)")
    parser.add_argument("--boards", type=int, default=4, help="boards (4)")
    parser.add_argument("--repeat", type=int, default=100, help="calls per read (100)")
    parser.add_argument("--mongo-url", help="a running MongoDB instead")
    parser.add_argument("--label", default="activity-calls")
    parser.add_argument("--results-dir", type=Path, help="where the JSON goes (bench/results)")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    meta = {"label": args.label, "entries": args.entries, "loadavg": os.getloadavg()}
    where = [args.results_dir] if args.results_dir else []
    say(f"written to {write_json({'activity_calls': figures}, meta, *where)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
