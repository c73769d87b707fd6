"""What the per-call tools (``python -m bench.activity_calls``, ``bench.task_calls``) share: a
private nx-27017 whose CPU they read, and the command line and report they all have."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.report import write_json
from hintro_devtools.mongo import ensure_mongo
from hintro_devtools.ports import free_port

Database = AsyncDatabase[dict[str, Any]]


@asynccontextmanager
async def scratch_database(
    mongo_url: str | None, name: str
) -> AsyncIterator[tuple[Database, int | None]]:
    """Database ``name``, empty, on ``mongo_url`` or on a private nx-27017 started in a
    temporary directory, and the server's pid when the tool started it (``None``: its CPU is
    not measured). The database is dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"hintro-{name}-") as scratch:
        mongo = (
            None
            if mongo_url
            else ensure_mongo(None, port=free_port(), data_dir=Path(scratch), reuse=False)
        )
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongo_url or (mongo.url if mongo else "")
        )
        try:
            await client.drop_database(name)
            yield client[name], mongo.process.pid if mongo and mongo.process else None
        finally:
            await client.drop_database(name)
            await client.close()
            if mongo is not None:
                mongo.stop()


def parser(prog: str, description: str | None, label: str, repeat: int) -> argparse.ArgumentParser:
    """The options every tool has; each adds its own."""
    found = argparse.ArgumentParser(prog=prog, description=description)
    found.add_argument("--repeat", type=int, default=repeat, help=f"calls per read ({repeat})")
    found.add_argument("--mongo-url", help="a running MongoDB instead (its CPU is not measured)")
    found.add_argument("--label", default=label)
    found.add_argument("--results-dir", type=Path, help="where the JSON goes (bench/results)")
    return found


def report(name: str, figures: dict[str, Any], args: argparse.Namespace, **meta: Any) -> None:
    """Write ``figures`` under ``name`` to bench/results (or ``--results-dir``)."""
    where = [args.results_dir] if args.results_dir else []
    info = {"label": args.label, "loadavg": os.getloadavg(), **meta}
    written = write_json({name: figures}, info, *where)
    print(f"{name} | written to {written}", file=sys.stderr, flush=True)
