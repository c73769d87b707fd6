"""Versioned schema migrations of a service's MongoDB database, with up and down steps.

Each service lists its migrations in ``hintro_<service>/migrations.py`` (``MIGRATIONS``) and
runs them with ``python -m hintro_<service>.migrate up|down|status`` at deploy time (a Job per
service in Kubernetes, a one-shot service in docker-compose). docs/database.md has the rules.

- The applied versions live in the service's own database, collection ``schema_migrations``
  (``{_id: version, name, appliedAt}``); a version is recorded only after its step succeeded,
  so a step must be idempotent (a crash between the step and the record reruns it).
- One runner at a time per database: a lease in ``schema_migrations_lock`` (insert-only, so it
  holds on single-document atomicity; an expired lease is taken over). No transactions: the
  embedded test server does not make them atomic, and index builds cannot run in one anyway.
- Versions applied by a newer release (unknown to this code) are reported and left alone, so
  rolling a service's image back does not fail its migration Job (migrations are additive:
  expand first, contract in a later release).
- Index steps match indexes by their keys, never by name: servers may name them differently.
- Migrations are written out, not derived from the repositories: a released migration never
  changes. The repositories still create the same indexes at start-up (an idempotent safety
  net); the deploy tests check that migrating to the latest version leaves nothing for them
  to add.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from hintro_shared import jsonutil
from hintro_shared.config import ServiceSettings
from hintro_shared.logging import configure_logging

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Step = Callable[[Database], Awaitable[None]]

HISTORY = "schema_migrations"
LOCK = "schema_migrations_lock"
_LOCK_ID = "lock"

_log = logging.getLogger(__name__)


class MigrationError(Exception):
    """A migration cannot run as asked (unknown target, a newer release's version, ...)."""


class MigrationLocked(MigrationError):
    """Another runner held the database's migration lease for longer than we would wait."""


@dataclass(frozen=True)
class Index:
    """One index as a migration creates it; dropped again by its keys."""

    collection: str
    keys: tuple[tuple[str, int], ...]
    name: str
    unique: bool = False
    sparse: bool = False
    expire_after_seconds: int | None = None

    async def create(self, db: Database) -> None:
        """Create it (a no-op when an index with these keys and options exists)."""
        options: dict[str, Any] = {"name": self.name}
        if self.unique:
            options["unique"] = True
        if self.sparse:
            options["sparse"] = True
        if self.expire_after_seconds is not None:
            options["expireAfterSeconds"] = self.expire_after_seconds
        await db[self.collection].create_index(list(self.keys), **options)

    async def drop(self, db: Database) -> None:
        """Drop the index with these keys, whatever its name; a no-op when there is none.

        An exact match (fields and directions) wins; otherwise the one index on the same fields,
        because nx-27017 reports every direction as ascending."""
        collection = db[self.collection]
        wanted = [(name, int(direction)) for name, direction in self.keys]
        same_fields: list[str] = []
        async for index in await collection.list_indexes():
            found = [(str(name), int(direction)) for name, direction in index["key"].items()]
            if found == wanted:
                await collection.drop_index(index["name"])
                return
            if [name for name, _ in found] == [name for name, _ in wanted]:
                same_fields.append(index["name"])
        if len(same_fields) == 1:
            await collection.drop_index(same_fields[0])


@dataclass(frozen=True)
class Migration:
    """Version ``version`` of a service's schema: ``up`` moves to it, ``down`` back."""

    version: int
    name: str
    up: Step
    down: Step


WALK_BATCH = 500


async def walk(
    collection: Any, query: Document, projection: Document, *, batch: int = WALK_BATCH
) -> AsyncIterator[Document]:
    """The documents ``query`` matches, in ``_id`` order, read ``batch`` at a time, each batch
    after the previous one was handled (a data step writes as it goes, and no cursor stays open
    while it does)."""
    last_id: Any = ""
    while True:
        page = [
            doc
            async for doc in collection.find({"_id": {"$gt": last_id}, **query}, projection)
            .sort("_id", 1)
            .limit(batch)
        ]
        if not page:
            return
        last_id = page[-1]["_id"]
        for doc in page:
            yield doc


def index_migration(version: int, name: str, *indexes: Index) -> Migration:
    """A migration that creates ``indexes`` (up) and drops them again (down)."""

    async def up(db: Database) -> None:
        for index in indexes:
            await index.create(db)

    async def down(db: Database) -> None:
        for index in reversed(indexes):
            await index.drop(db)

    return Migration(version, name, up, down)


@dataclass(frozen=True)
class MigrationState:
    """One line of ``status``."""

    version: int
    name: str
    applied: bool
    applied_at: datetime | None = None
    known: bool = True
    """False for a version a newer release applied (this code has no steps for it)."""

    def as_json(self) -> Document:
        """The JSON form ``status --json`` prints."""
        return {
            "version": self.version,
            "name": self.name,
            "applied": self.applied,
            "appliedAt": None if self.applied_at is None else _rfc3339(self.applied_at),
            "known": self.known,
        }


def _rfc3339(moment: datetime | str) -> str:
    if isinstance(moment, str):  # nx-27017 may return a datetime as text
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Migrator:
    """Applies and reverts ``migrations`` on ``db``, one runner at a time."""

    db: Database
    migrations: Sequence[Migration]
    lock_ttl_seconds: float = 600.0
    lock_wait_seconds: float = 120.0
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        versions = [migration.version for migration in self.migrations]
        if any(version < 1 for version in versions):
            raise ValueError("migration versions start at 1")
        if versions != sorted(set(versions)):
            raise ValueError(f"migration versions must be unique and ascending: {versions}")

    @property
    def latest(self) -> int:
        """The newest version this code knows (0 without migrations)."""
        return self.migrations[-1].version if self.migrations else 0

    async def _history(self) -> dict[int, Document]:
        # Sorted here, not by the server: nx-27017 sorts integer _ids as text (1, 10, 2).
        return {int(doc["_id"]): doc async for doc in self.db[HISTORY].find({})}

    async def current(self) -> int:
        """The highest applied version (0 when none is)."""
        return max(await self._history(), default=0)

    async def status(self) -> list[MigrationState]:
        """Every known migration with whether it is applied, then unknown applied versions."""
        history = await self._history()
        known = {migration.version for migration in self.migrations}
        states = [
            MigrationState(
                migration.version,
                migration.name,
                migration.version in history,
                history.get(migration.version, {}).get("appliedAt"),
            )
            for migration in self.migrations
        ]
        states.extend(
            MigrationState(
                version, str(doc.get("name", "")), True, doc.get("appliedAt"), known=False
            )
            for version, doc in sorted(history.items())
            if version not in known
        )
        return states

    async def up(self, target: int | None = None) -> list[int]:
        """Apply every pending migration up to ``target`` (default: the latest), in order;
        returns the versions applied."""
        target = self.latest if target is None else target
        self._check_target(target, allow_zero=False)
        async with self._locked():
            history = await self._history()
            newer = sorted(version for version in history if version > self.latest)
            if newer:
                _log.warning(
                    "versions applied by a newer release are left alone",
                    extra={"versions": newer},
                )
            done: list[int] = []
            for migration in self.migrations:
                if migration.version > target or migration.version in history:
                    continue
                _log.info(
                    "migrating up",
                    extra={"version": migration.version, "migration": migration.name},
                )
                await migration.up(self.db)
                # A duplicate: recorded already (a rerun after a crash between step and record).
                with contextlib.suppress(DuplicateKeyError):
                    await self.db[HISTORY].insert_one(
                        {
                            "_id": migration.version,
                            "name": migration.name,
                            "appliedAt": datetime.now(UTC),
                        }
                    )
                done.append(migration.version)
                await self._renew()
            return done

    async def down(self, target: int | None = None) -> list[int]:
        """Revert applied migrations above ``target`` (default: only the newest one), newest
        first; returns the versions reverted."""
        if target is not None:
            self._check_target(target, allow_zero=True)
        async with self._locked():
            history = await self._history()
            if not history:
                return []
            if target is None:
                applied = sorted(history)
                target = applied[-2] if len(applied) > 1 else 0
            self._check_target(target, allow_zero=True)
            unknown = sorted(
                version
                for version in history
                if version > target and version not in {m.version for m in self.migrations}
            )
            if unknown:
                raise MigrationError(
                    f"versions {unknown} were applied by a newer release: run its image's "
                    "`migrate down` to revert them"
                )
            done: list[int] = []
            for migration in reversed(self.migrations):
                if migration.version <= target or migration.version not in history:
                    continue
                _log.info(
                    "migrating down",
                    extra={"version": migration.version, "migration": migration.name},
                )
                await migration.down(self.db)
                await self.db[HISTORY].delete_one({"_id": migration.version})
                done.append(migration.version)
                await self._renew()
            return done

    def _check_target(self, target: int, *, allow_zero: bool) -> None:
        known = {migration.version for migration in self.migrations}
        if target == 0 and allow_zero:
            return
        if target not in known:
            raise MigrationError(f"no migration has version {target} (known: {sorted(known)})")

    # --- the lease ----------------------------------------------------------------------------
    # expiresAt is epoch seconds, not a datetime: a datetime written with $set comes back from
    # nx-27017 as text and would never compare as expired.

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        lock = self.db[LOCK]
        deadline = time.monotonic() + self.lock_wait_seconds
        while True:
            now = time.time()
            await lock.delete_one({"_id": _LOCK_ID, "expiresAt": {"$lt": now}})
            try:
                await lock.insert_one(
                    {
                        "_id": _LOCK_ID,
                        "owner": self.owner,
                        "expiresAt": now + self.lock_ttl_seconds,
                    }
                )
                break
            except DuplicateKeyError:
                if time.monotonic() >= deadline:
                    holder = await lock.find_one({"_id": _LOCK_ID}) or {}
                    raise MigrationLocked(
                        f"migrations of {self.db.name} are being run by {holder.get('owner')}"
                    ) from None
                await asyncio.sleep(1.0)
        try:
            yield
        finally:
            await lock.delete_one({"_id": _LOCK_ID, "owner": self.owner})

    async def _renew(self) -> None:
        await self.db[LOCK].update_one(
            {"_id": _LOCK_ID, "owner": self.owner},
            {"$set": {"expiresAt": time.time() + self.lock_ttl_seconds}},
        )


# --- the command line --------------------------------------------------------------------------


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Apply, revert or list this service's database migrations."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="apply pending migrations (default: up to the latest)")
    up.add_argument("--to", type=int, default=None, help="stop at this version")
    down = commands.add_parser("down", help="revert migrations (default: the newest one only)")
    down.add_argument("--to", type=int, default=None, help="revert down to this version (0: all)")
    status = commands.add_parser("status", help="list migrations and whether they are applied")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _print_status(database: str, states: Sequence[MigrationState], as_json: bool) -> None:
    current = max((state.version for state in states if state.applied), default=0)
    if as_json:
        body = {
            "database": database,
            "current": current,
            "migrations": [state.as_json() for state in states],
        }
        print(jsonutil.dumps(body))
        return
    print(f"{database}: current version {current}")
    for state in states:
        mark = "applied" if state.applied else "pending"
        if not state.known:
            mark = "applied (newer release)"
        when = "" if state.applied_at is None else _rfc3339(state.applied_at)
        print(f"  {state.version:>4}  {mark:<24} {when:<25} {state.name}")


async def run(
    command: str, settings: ServiceSettings, migrations: Sequence[Migration], *, to: int | None
) -> list[MigrationState] | list[int]:
    """Connect (retrying while the database comes up) and run one command."""
    # Imported here: mongo imports aiohttp, which a status call does not otherwise need.
    from hintro_shared.mongo import make_client
    from hintro_shared.retry import retry_startup

    client = make_client(settings)
    try:

        async def ping() -> None:
            await client.admin.command("ping")

        await retry_startup("mongodb", ping, settings.startup_timeout_seconds)
        migrator = Migrator(client[settings.database_name], migrations)
        if command == "up":
            return await migrator.up(to)
        if command == "down":
            return await migrator.down(to)
        return await migrator.status()
    finally:
        await client.close()


def main(
    settings_factory: Callable[[], ServiceSettings],
    migrations: Sequence[Migration],
    argv: Sequence[str] | None = None,
) -> None:
    """The body of every ``python -m hintro_<service>.migrate``; exits 1 on failure."""
    settings = settings_factory()
    prog = f"python -m hintro_{settings.service_name}.migrate"
    args = _parser(prog).parse_args(argv)
    configure_logging(f"{settings.service_name}-migrate", settings.log_level)
    # Logs go to stderr: stdout carries the command's own output (``status --json``).
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    try:
        result = asyncio.run(run(args.command, settings, migrations, to=getattr(args, "to", None)))
    except (MigrationError, PyMongoError, OSError) as exc:
        _log.error("migration failed: %s", exc)
        sys.exit(1)
    if args.command == "status":
        states = [state for state in result if isinstance(state, MigrationState)]
        _print_status(settings.database_name, states, args.json)
    else:
        verb = "applied" if args.command == "up" else "reverted"
        versions = [version for version in result if isinstance(version, int)]
        _log.info(
            f"migrations {verb}",
            extra={"versions": versions, "database": settings.database_name},
        )
    sys.stdout.flush()
