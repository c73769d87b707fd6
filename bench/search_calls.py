"""What each of search's reads costs the database and its caller, call by call.

``python -m bench.search_calls`` (not part of ``make bench``) starts a private nx-27017 (or uses
``--mongo-url``), seeds scenario 8's corpus into the search index the way the task service
writes it (``SearchIndex.put_many``) and 200 boards into a board view (``apply_snapshot``),
then runs each read ``--repeat`` times and reports the database process's CPU and this
process's CPU per call (from ``/proc``; a server it did not start is not measured). Whole
searches are measured with the caller's boards read from the board view every time and with
them already known (what the membership cache spares). ``--data-dir`` keeps the seeded
database for the next run (seeding 50,000 tasks takes minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.procs import per_call
from bench.report import write_json
from bench.scenarios import search_corpus, search_queries
from hintro_devtools.mongo import ensure_mongo
from hintro_devtools.ports import free_port
from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection
from hintro_shared.boardview.model import BoardSnapshot
from hintro_task.search import SearchService
from hintro_task.search_index import SearchIndex, SearchItem
from hintro_task.searching import TIERS

USER = "searcher"
BOARDS = 200


def say(message: str) -> None:
    print(f"calls | {message}", file=sys.stderr, flush=True)


class KnownBoards:
    """Memberships already in hand (a membership cache hit costs one Redis call instead)."""

    def __init__(self, boards: list[str]) -> None:
        self._boards = boards

    async def boards_of(self, user_id: str) -> list[str]:
        return self._boards


async def seed(db: Any, tasks: int) -> None:
    index, view = SearchIndex(db), BoardProjection(db)
    await index.create_indexes()
    boards = [f"board{n:03d}" for n in range(BOARDS)]
    for board in boards:
        await view.apply_snapshot(BoardSnapshot(board, 1, {USER: Role.OWNER}))
        await index.set_name("board", board, f"Board {board}", 1)
        await index.set_name("list", f"list-{board}", "Backlog", 1)
    batch: list[SearchItem] = []
    for n, (title, description) in enumerate(search_corpus(tasks)):
        board = boards[n % BOARDS]
        batch.append(
            SearchItem(
                id=f"task{n:06d}",
                kind="task",
                board_id=board,
                task_id=f"task{n:06d}",
                list_id=f"list-{board}",
                title=title.capitalize(),
                text=description,
                updated_at=f"2026-12-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                version=1,
            )
        )
        if len(batch) == 2000:
            await index.put_many(batch)
            batch = []
    await index.put_many(batch)


async def measure(db: Any, pid: int | None, tasks: int, repeat: int) -> dict[str, Any]:
    index, view = SearchIndex(db), BoardProjection(db)
    boards = await view.boards_of(USER)
    queries = search_queries([title for title, _ in search_corpus(tasks)], 4 * repeat)
    words = [query.split()[0] for query in queries][:repeat]
    figures: dict[str, Any] = {}

    async def timed(name: str, call: Callable[[int], Awaitable[Any]], times: int) -> None:
        figures[name] = await per_call(pid, call, times)
        say(f"{name}: {figures[name]}")

    names = [f"board:{b}" for b in boards[:20]] + [f"list:list-{b}" for b in boards[:20]]
    items = [f"task{n:06d}" for n in range(0, 21 * 97, 97)]
    whole = {"w": 1, "i": 1, "p": 1, "u": 1, "_id": 0}

    def word_range(n: int) -> dict[str, Any]:
        word = words[n % len(words)]
        return {"w": {"$gte": word, "$lt": word + "\uffff"}, "b": {"$in": boards}, "a": 0}

    calls: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("the caller's boards (board view)", lambda n: view.boards_of(USER)),
        (
            "one tier, ordered, limit 21",
            lambda n: index.ranked(
                words[n % len(words)], TIERS[0], boards, archived=False, after=None, limit=21
            ),
        ),
        (
            "a word's match set, projected",
            lambda n: index.terms.find(word_range(n), whole).to_list(),
        ),
        ("a word's match set, whole", lambda n: index.terms.find(word_range(n)).to_list()),
        ("21 items by id", lambda n: index.items_by_id(items)),
        ("40 titles by id", lambda n: index.titles(names)),
    ]
    for name, call in calls:
        await timed(name, call, repeat)
    kinds: dict[str, Callable[[str], bool]] = {
        "one word": lambda q: " " not in q and len(q) != 4,
        "4 letters": lambda q: " " not in q and len(q) == 4,
        "two words": lambda q: " " in q,
    }
    for label, memberships in (("boards read", view), ("boards known", KnownBoards(boards))):
        service = SearchService(index, memberships)
        for kind, matches in kinds.items():
            chosen = [q for q in queries if matches(q)][:repeat]
            if not chosen:
                continue
            await timed(
                f"search, {kind}, {label}",
                lambda n, chosen=chosen, service=service: service.search(
                    USER, chosen[n % len(chosen)], 20, None
                ),
                len(chosen),
            )
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.data_dir is None:
        with tempfile.TemporaryDirectory(prefix="hintro-search-calls-") as scratch:
            return await _run(args, Path(scratch))
    return await _run(args, args.data_dir)


async def _run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    fresh = not (data_dir / "search_calls.db").exists()
    mongo = (
        None
        if args.mongo_url
        else ensure_mongo(None, port=free_port(), data_dir=data_dir, reuse=False)
    )
    url = args.mongo_url or (mongo.url if mongo else "")
    pid = mongo.process.pid if mongo and mongo.process else None
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        db = client["search_calls"]
        if fresh or args.mongo_url:
            began = time.perf_counter()
            await db["search_terms"].drop()
            await db["search_items"].drop()
            await seed(db, args.tasks)
            say(f"seeded {args.tasks} tasks in {time.perf_counter() - began:.0f}s")
        return await measure(db, pid, args.tasks, args.repeat)
    finally:
        await client.close()
        if mongo is not None:
            mongo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_calls", description=__doc__)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=100, help="calls per read (100)")
    parser.add_argument("--data-dir", type=Path, help="keep the seeded nx-27017 data here")
    parser.add_argument("--mongo-url", help="a running MongoDB instead (seeded afresh)")
    parser.add_argument("--label", default="search-calls")
    parser.add_argument("--results-dir", type=Path, help="where the JSON goes (bench/results)")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    meta = {"label": args.label, "tasks": args.tasks, "loadavg": os.getloadavg()}
    where = [args.results_dir] if args.results_dir else []
    say(f"written to {write_json({'search_calls': figures}, meta, *where)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
