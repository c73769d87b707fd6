"""Search's membership cache (``hintro_task.memberships``) on a real MongoDB wire server and a
real Redis: a user's boards are served from Redis once read, and every write of the board view
that changes whose boards a board is makes the next read see the change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.authz import Role
from hintro_shared.boardview.model import BoardSnapshot
from hintro_task.memberships import CachedBoardView, MembershipCache
from hintro_testkit.infra import redis_url, scratch_database, unique

pytestmark = pytest.mark.integration

Db = AsyncDatabase[dict[str, Any]]


@pytest.fixture
async def db() -> AsyncIterator[Db]:
    async with scratch_database("memberships") as database:
        yield database


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url())
    yield client
    await client.aclose()


def view(db: Db, client: aioredis.Redis | None, prefix: str | None = None) -> CachedBoardView:
    cache = MembershipCache(
        client,
        prefix=prefix or unique("members") + ":",
        ttl_seconds=60,
        generation_ttl_seconds=3600,
        retry_seconds=0,
    )
    return CachedBoardView(db, cache)


async def sneak_member(db: Db, board_id: str, user_id: str) -> None:
    """Change the board view behind the cache's back (no invalidation)."""
    await db["boards"].update_one(
        {"_id": board_id}, {"$set": {f"members.{user_id}": {"role": "viewer", "v": 99}}}
    )


async def test_boards_are_served_from_redis_once_read(db: Db, redis_client: aioredis.Redis) -> None:
    boards = view(db, redis_client)
    await boards.apply_snapshot(BoardSnapshot("b1", 2, {"u1": Role.OWNER}))
    await boards.apply_snapshot(BoardSnapshot("b2", 2, {"u2": Role.OWNER}))
    assert await boards.boards_of("u1") == ["b1"]
    await sneak_member(db, "b2", "u1")
    assert await boards.boards_of("u1") == ["b1"]  # the cached answer
    # Without Redis the same view reads the database every time.
    assert sorted(await view(db, None).boards_of("u1")) == ["b1", "b2"]


async def test_every_membership_write_invalidates(db: Db, redis_client: aioredis.Redis) -> None:
    boards = view(db, redis_client)
    await boards.apply_snapshot(BoardSnapshot("b1", 2, {"u1": Role.OWNER, "u2": Role.EDITOR}))
    await boards.apply_snapshot(BoardSnapshot("b2", 2, {"u2": Role.OWNER}))
    assert await boards.boards_of("u1") == ["b1"]
    assert sorted(await boards.boards_of("u2")) == ["b1", "b2"]

    await boards.set_member("b2", "u1", Role.VIEWER, 3)  # added
    assert sorted(await boards.boards_of("u1")) == ["b1", "b2"]
    await boards.set_member("b1", "u1", None, 4)  # removed
    assert await boards.boards_of("u1") == ["b2"]

    await boards.delete_board("b2", 5)  # every member of a deleted board
    assert await boards.boards_of("u1") == []
    assert await boards.boards_of("u2") == ["b1"]

    # A snapshot replaces the member map: who left and who joined both see it.
    await boards.apply_snapshot(BoardSnapshot("b3", 1, {"u2": Role.OWNER}))
    assert sorted(await boards.boards_of("u2")) == ["b1", "b3"]
    assert await boards.boards_of("u3") == []
    await boards.apply_snapshot(BoardSnapshot("b3", 2, {"u3": Role.EDITOR}))
    assert await boards.boards_of("u2") == ["b1"]
    assert await boards.boards_of("u3") == ["b3"]


async def test_an_unreadable_entry_is_a_miss(db: Db, redis_client: aioredis.Redis) -> None:
    prefix = unique("members") + ":"
    boards = view(db, redis_client, prefix)
    await boards.apply_snapshot(BoardSnapshot("b1", 2, {"u1": Role.OWNER}))
    await boards.apply_snapshot(BoardSnapshot("b2", 2, {"u2": Role.OWNER}))
    assert await boards.boards_of("u1") == ["b1"]
    await sneak_member(db, "b2", "u1")
    generation = (await redis_client.get(f"{prefix}{{u1}}:gen")).decode()
    await redis_client.set(f"{prefix}{{u1}}:boards:{generation}", b'{"not": "a list"}')
    assert sorted(await boards.boards_of("u1")) == ["b1", "b2"]  # read from the database
