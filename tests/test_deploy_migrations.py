"""Deploy-time migrations on the test MongoDB (``MONGO_URL``): each service's
``python -m hintro_<service>.migrate`` goes up, down and up again and reports its versions; the
latest version holds every index the service creates at start-up; and the shared runner keeps
its promises (data steps, one runner at a time, versions of a newer release left alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.events.relay import ensure_outbox_index
from hintro_shared.migrations import (
    LOCK,
    Migration,
    MigrationError,
    MigrationLocked,
    Migrator,
)
from hintro_testkit.infra import mongo_url, unique
from tests.deploy_helpers import AWAITING_MIGRATIONS, SERVICE_NAMES, has_migrations

pytestmark = pytest.mark.integration

Database = AsyncDatabase[dict[str, Any]]
MIGRATED = [name for name in SERVICE_NAMES if has_migrations(name)]


@pytest.fixture
async def client() -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url(), serverSelectionTimeoutMS=5000, tz_aware=True
    )
    yield mongo
    await mongo.close()


def migrate(service: str, database: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the service's migrate entry point as a deploy would (settings from the environment)."""
    env = {**os.environ, "MONGO_URL": mongo_url(), "MONGO_DB": database, "ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", f"hintro_{service}.migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def status(service: str, database: str) -> dict[str, Any]:
    result = migrate(service, database, "status", "--json")
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


async def index_keys(db: Database) -> set[tuple[str, tuple[tuple[str, int], ...], bool]]:
    """(collection, keys, unique) of every index but _id's, names aside (servers rename them)."""
    found = set()
    for collection in await db.list_collection_names():
        if collection.startswith("schema_migrations"):
            continue
        async for index in await db[collection].list_indexes():
            keys = tuple((str(k), int(v)) for k, v in index["key"].items())
            if keys != (("_id", 1),):
                found.add((collection, keys, bool(index.get("unique", False))))
    return found


def test_the_services_with_a_database_have_migrations() -> None:
    assert {"auth", "board", "task", "activity"} <= set(MIGRATED)
    assert not set(MIGRATED) & AWAITING_MIGRATIONS


@pytest.mark.parametrize("service", MIGRATED)
async def test_migrations_go_up_down_and_up_again(
    service: str, client: AsyncMongoClient[dict[str, Any]]
) -> None:
    database = unique(f"mig_{service}")
    db = client[database]
    try:
        before = status(service, database)
        assert before["current"] == 0
        assert all(not m["applied"] for m in before["migrations"])
        latest = max(m["version"] for m in before["migrations"])

        up = migrate(service, database, "up")
        assert up.returncode == 0, up.stderr
        applied = status(service, database)
        assert applied["current"] == latest
        assert all(m["applied"] and m["appliedAt"] for m in applied["migrations"])
        created = await index_keys(db)
        assert created

        down = migrate(service, database, "down", "--to", "0")
        assert down.returncode == 0, down.stderr
        assert status(service, database)["current"] == 0
        assert await index_keys(db) == set()

        again = migrate(service, database, "up")
        assert again.returncode == 0, again.stderr
        assert status(service, database)["current"] == latest
        assert await index_keys(db) == created
    finally:
        await client.drop_database(database)


async def _auth_startup(db: Database) -> None:
    from hintro_auth.repository import MongoRefreshTokens, MongoUsers

    await MongoUsers(db).create_indexes()
    await MongoRefreshTokens(db, family_retention=timedelta(days=31)).create_indexes()


async def _board_startup(db: Database) -> None:
    from hintro_board.list_repository import MongoLists
    from hintro_board.repository import MongoBoards, MongoUsers

    for repository in (MongoBoards(db), MongoLists(db), MongoUsers(db)):
        await repository.create_indexes()


async def _task_startup(db: Database) -> None:
    from hintro_shared.boardview import BoardProjection
    from hintro_task.repository import TaskRepository

    tasks = TaskRepository(db)
    await tasks.create_indexes()
    await BoardProjection(db).create_indexes()
    await ensure_outbox_index(tasks.collection)
    await ensure_outbox_index(db["label_imports"])


async def _activity_startup(db: Database) -> None:
    from hintro_activity.names import NameDirectory
    from hintro_activity.repository import ActivityLog
    from hintro_shared.boardview import BoardProjection

    for store in (ActivityLog(db), NameDirectory(db), BoardProjection(db)):
        await store.create_indexes()


async def _notification_startup(db: Database) -> None:
    from hintro_notification.repository import Facts, NotificationStore, Preferences, Watches
    from hintro_shared.boardview import BoardProjection

    for store in (
        NotificationStore(db),
        Facts(db),
        Watches(db),
        Preferences(db),
        BoardProjection(db, boards="board_members", lists="board_lists"),
    ):
        await store.create_indexes()


async def _webhook_startup(db: Database) -> None:
    from hintro_shared.boardview import BoardProjection
    from hintro_webhook.repository import Deliveries, Endpoints

    for store in (
        Endpoints(db),
        Deliveries(db),
        BoardProjection(db, boards="board_members", lists="board_lists"),
    ):
        await store.create_indexes()


async def _importer_startup(db: Database) -> None:
    from hintro_importer.repository import Jobs

    await Jobs(db).create_indexes()


# What each service's app does to its database at start-up (app.py), before serving.
STARTUP_INDEXES: dict[str, Callable[[Database], Awaitable[None]]] = {
    "auth": _auth_startup,
    "board": _board_startup,
    "task": _task_startup,
    "activity": _activity_startup,
    "notification": _notification_startup,
    "webhook": _webhook_startup,
    "importer": _importer_startup,
}


@pytest.mark.parametrize("service", MIGRATED)
async def test_the_latest_migration_holds_every_index_created_at_start_up(
    service: str, client: AsyncMongoClient[dict[str, Any]]
) -> None:
    migrated, started = unique(f"mig_{service}"), unique(f"start_{service}")
    try:
        result = migrate(service, migrated, "up")
        assert result.returncode == 0, result.stderr
        await STARTUP_INDEXES[service](client[started])
        missing = await index_keys(client[started]) - await index_keys(client[migrated])
        assert not missing, f"indexes created at start-up but by no migration: {missing}"
    finally:
        await client.drop_database(migrated)
        await client.drop_database(started)


def test_an_unknown_target_fails_the_command() -> None:
    result = migrate("auth", unique("mig_auth"), "down", "--to", "99")
    assert result.returncode == 1
    assert "no migration has version 99" in result.stderr


# --- the shared runner --------------------------------------------------------------------------


def _data_migrations() -> list[Migration]:
    """An index migration and a data migration (backfill a field, and remove it on down)."""

    async def add_index(db: Database) -> None:
        await db.cards.create_index([("boardId", 1)], name="board")

    async def drop_index(db: Database) -> None:
        await db.cards.drop_index("board")

    async def backfill(db: Database) -> None:
        # Idempotent: only documents still lacking the field.
        await db.cards.update_many({"archived": {"$exists": False}}, {"$set": {"archived": 0}})

    async def unfill(db: Database) -> None:
        await db.cards.update_many({"archived": {"$exists": True}}, {"$unset": {"archived": ""}})

    return [
        Migration(2, "board index", add_index, drop_index),
        Migration(10, "archived", backfill, unfill),
    ]


@pytest.fixture
async def db(client: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[Database]:
    name = unique("mig_runner")
    yield client[name]
    await client.drop_database(name)


async def test_data_migrations_go_up_and_down_in_version_order(db: Database) -> None:
    await db.cards.insert_many([{"_id": "a"}, {"_id": "b", "archived": 1}])
    migrator = Migrator(db, _data_migrations())
    assert await migrator.up() == [2, 10]
    # 10 after 2: versions are compared as numbers (nx-27017 sorts integer _ids as text).
    assert await migrator.current() == 10
    assert {d["_id"]: d["archived"] for d in await db.cards.find({}).to_list()} == {"a": 0, "b": 1}
    assert await migrator.up() == []
    assert await migrator.down() == [10]
    assert [d for d in await db.cards.find({"archived": {"$exists": True}}).to_list()] == []
    assert await migrator.current() == 2
    assert await migrator.up(target=10) == [10]
    states = await migrator.status()
    assert [(s.version, s.applied) for s in states] == [(2, True), (10, True)]


async def test_a_version_from_a_newer_release_is_left_alone(db: Database) -> None:
    newer = Migrator(db, [*_data_migrations(), Migration(11, "newer", _noop, _noop)])
    await newer.up()
    older = Migrator(db, _data_migrations())
    assert await older.up() == []
    states = await older.status()
    assert [(s.version, s.known) for s in states][-1] == (11, False)
    with pytest.raises(MigrationError, match="newer release"):
        await older.down()
    assert await newer.down() == [11]


async def test_only_one_runner_migrates_a_database_at_a_time(db: Database) -> None:
    holder = Migrator(db, _data_migrations(), owner="other-job")
    waiting = Migrator(db, _data_migrations(), lock_wait_seconds=0.5)
    async with holder._locked():
        started = time.monotonic()
        with pytest.raises(MigrationLocked, match="other-job"):
            await waiting.up()
        assert time.monotonic() - started >= 0.5
    assert await waiting.up() == [2, 10]


async def test_an_expired_lease_is_taken_over(db: Database) -> None:
    await db[LOCK].insert_one({"_id": "lock", "owner": "crashed-job", "expiresAt": time.time() - 1})
    assert await Migrator(db, _data_migrations(), lock_wait_seconds=0).up() == [2, 10]
    assert await db[LOCK].count_documents({}) == 0


def test_versions_must_be_unique_and_ascending() -> None:
    steps = _data_migrations()
    with pytest.raises(ValueError, match="ascending"):
        Migrator(None, list(reversed(steps)))  # type: ignore[arg-type]


async def _noop(_: Database) -> None:
    return None
