"""The board read cache: a hit is used, a client never reads stale data after its own write,
the generation scheme defeats slow readers, Redis trouble degrades to uncached reads."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from hintro_board.cache import BoardCache, decode_entry, encode_entry
from hintro_devtools.ports import free_port
from hintro_testkit.infra import redis_url, unique

pytestmark = pytest.mark.integration


def new_user() -> str:
    return uuid.uuid4().hex


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url())
    yield client
    await client.aclose()


def make_cache(client: aioredis.Redis | None, prefix: str) -> BoardCache:
    return BoardCache(
        client, prefix=prefix, ttl_seconds=30, generation_ttl_seconds=3600, retry_seconds=0
    )


async def test_second_read_is_served_from_the_cache(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Cached")
    first = await board.get_board(created["id"], owner)
    # Change the database behind the cache's back: a hit still shows the cached body.
    await board.db["boards"].update_one({"_id": created["id"]}, {"$set": {"title": "Sneaky"}})
    second = await board.get_board(created["id"], owner)
    assert second == first
    assert second["title"] == "Cached"


async def test_read_after_own_write_never_stale(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    path = f"/api/boards/{created['id']}"
    for round_ in range(40):
        response = await board.client.patch(
            path, json={"title": f"T{round_}"}, headers=board.auth(owner)
        )
        assert response.status == 200
        fetched = await board.get_board(created["id"], owner)
        assert (fetched["title"], fetched["version"]) == (f"T{round_}", round_ + 2)
        again = await board.get_board(created["id"], owner)  # now from the cache
        assert again == fetched


async def test_list_and_member_writes_invalidate_the_board(board: Any) -> None:
    owner, member = new_user(), new_user()
    created = await board.create_board(owner)
    b = created["id"]
    await board.get_board(b, owner)
    first = await board.create_list(b, owner, "One")
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == ["One"]
    second = await board.create_list(b, owner, "Two", beforeId=first["id"])
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == [
        "Two",
        "One",
    ]
    await board.client.patch(
        f"/api/lists/{second['id']}", json={"afterId": first["id"]}, headers=board.auth(owner)
    )
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == [
        "One",
        "Two",
    ]
    await board.archive(f"/api/lists/{first['id']}", owner)
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == ["Two"]
    await board.client.post(f"/api/lists/{first['id']}/restore", headers=board.auth(owner))
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == [
        "One",
        "Two",
    ]
    await board.archive(f"/api/lists/{first['id']}", owner)
    await board.client.delete(f"/api/lists/{first['id']}", headers=board.auth(owner))
    assert [item["title"] for item in (await board.get_board(b, owner))["lists"]] == ["Two"]

    # Membership is checked against the cached members, which a member change refreshes.
    assert (await board.client.get(f"/api/boards/{b}", headers=board.auth(member))).status == 404
    await board.add_member(b, owner, member, "viewer")
    assert (await board.get_board(b, member))["members"][1]["role"] == "viewer"
    await board.client.delete(f"/api/boards/{b}/members/{member}", headers=board.auth(owner))
    assert (await board.client.get(f"/api/boards/{b}", headers=board.auth(member))).status == 404
    await board.archive(f"/api/boards/{b}", owner)
    assert (await board.get_board(b, owner))["archivedAt"] is not None
    await board.client.delete(f"/api/boards/{b}", headers=board.auth(owner))
    assert (await board.client.get(f"/api/boards/{b}", headers=board.auth(owner))).status == 404


async def test_slow_reader_cannot_cache_a_body_older_than_a_write(
    redis_client: aioredis.Redis,
) -> None:
    cache = make_cache(redis_client, unique("cache_race") + ":")
    seen_before_write = await cache.get("b1")  # reader: generation first ...
    await cache.invalidate("b1")  # ... a write lands and bumps it ...
    stale = encode_entry({"u": "owner"}, 1, b'{"title":"old"}')
    await cache.put("b1", seen_before_write.generation, stale)  # ... reader stores old body
    after = await cache.get("b1")
    assert after.hit is None
    fresh = encode_entry({"u": "owner"}, 2, b'{"title":"new"}')
    await cache.put("b1", after.generation, fresh)
    hit = (await cache.get("b1")).hit
    assert hit is not None
    assert hit.body == b'{"title":"new"}'
    assert hit.version == 2
    assert hit.roles == {"u": "owner"}


async def test_entries_expire(redis_client: aioredis.Redis) -> None:
    prefix = unique("cache_ttl") + ":"
    cache = make_cache(redis_client, prefix)
    lookup = await cache.get("b1")
    await cache.put("b1", lookup.generation, encode_entry({}, 1, b"{}"))
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    assert keys
    for key in keys:
        assert 0 < await redis_client.ttl(key) <= 30


class FlakyBumps(BoardCache):
    """A cache whose next ``failures`` invalidations cannot reach Redis."""

    failures = 0

    async def _bump(self, board_ids: set[str]) -> None:
        if self.failures:
            self.failures -= 1
            raise redis.exceptions.ConnectionError("down")
        await super()._bump(board_ids)


async def test_failed_invalidation_is_retried_before_the_cache_is_trusted(
    redis_client: aioredis.Redis,
) -> None:
    cache = FlakyBumps(
        redis_client,
        prefix=unique("cache_flaky") + ":",
        ttl_seconds=30,
        generation_ttl_seconds=3600,
        retry_seconds=0,
    )
    lookup = await cache.get("b1")
    await cache.put("b1", lookup.generation, encode_entry({}, 1, b'"old"'))
    cache.failures = 2
    await cache.invalidate("b1")  # the write's bump fails; the old entry is still in Redis
    assert (await cache.get("b1")).hit is None  # the retry fails too: read MongoDB instead
    assert (await cache.get("b1")).hit is None  # the retry lands: generation moved on
    assert cache.failures == 0


async def test_cache_without_redis_always_misses() -> None:
    cache = make_cache(None, "x:")
    assert (await cache.get("b1")).generation is None
    await cache.put("b1", "0", b"{}\n{}")
    await cache.invalidate("b1")
    assert (await cache.get("b1")).hit is None


async def test_redis_down_reads_and_writes_still_work(start_board: Any) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with start_board(redis_url=dead) as harness:
        owner = new_user()
        created = await harness.create_board(owner, "No cache")
        for round_ in range(5):
            response = await harness.client.patch(
                f"/api/boards/{created['id']}",
                json={"title": f"T{round_}"},
                headers=harness.auth(owner),
            )
            assert response.status == 200
            fetched = await harness.get_board(created["id"], owner)
            assert fetched["title"] == f"T{round_}"
        ready = await harness.client.get("/readyz")
        assert ready.status == 200
        assert (await ready.json())["checks"]["redis"].startswith("degraded")


async def _raw_board(board: Any, board_id: str, user: str, encoding: str) -> tuple[Any, bytes]:
    async with board.client.get(
        f"/api/boards/{board_id}",
        headers=board.auth(user, **{"Accept-Encoding": encoding}),
        auto_decompress=False,
    ) as response:
        assert response.status == 200
        return response.headers, await response.read()


async def test_a_hit_is_served_as_the_stored_gzip_bytes_or_plain_json(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Compressed once")
    await board.create_list(created["id"], owner, "One")
    for _ in range(2):  # the miss that stores the entry, then a hit
        headers, raw = await _raw_board(board, created["id"], owner, "gzip")
        assert headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in headers["Vary"]
        assert raw[:2] == b"\x1f\x8b"
        body = json.loads(gzip.decompress(raw))
        assert body["title"] == "Compressed once"
        assert [item["title"] for item in body["lists"]] == ["One"]
    # Behind the cache's back: the hit's gzip bytes are the stored ones, not a new read.
    await board.db["boards"].update_one({"_id": created["id"]}, {"$set": {"title": "Sneaky"}})
    _, again = await _raw_board(board, created["id"], owner, "gzip")
    assert again == raw
    plain_headers, plain = await _raw_board(board, created["id"], owner, "identity")
    assert "Content-Encoding" not in plain_headers
    assert json.loads(plain) == body
    assert plain_headers["ETag"] == headers["ETag"]


def test_an_entry_holds_the_body_and_its_gzip_form() -> None:
    body = b'{"id":"b1","title":"x"}'
    entry = decode_entry(encode_entry({"u1": "owner"}, 3, body))
    assert entry.body == body
    assert gzip.decompress(entry.gzipped) == body
    with pytest.raises(ValueError, match="shorter"):
        decode_entry(b'{"roles":{},"version":1,"etag":"\\"1.x\\"","size":99}\n{}')


async def test_entries_of_another_format_are_not_read(redis_client: aioredis.Redis) -> None:
    # A replica of the code before the gzip copy stored "<header>\n<body>" under ":body:":
    # this format's keys differ, so neither version ever decodes the other's entries.
    prefix = unique("cache_format") + ":"
    cache = make_cache(redis_client, prefix)
    lookup = await cache.get("b1")
    await redis_client.set(f"{prefix}{{b1}}:body:{lookup.generation}", b'{"roles":{}}\n{}')
    assert (await cache.get("b1")).hit is None
    await cache.put("b1", lookup.generation, encode_entry({"u": "owner"}, 1, b"{}"))
    assert [key async for key in redis_client.scan_iter(match=f"{prefix}*board+gz*")]
