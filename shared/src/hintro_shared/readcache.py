"""A per-board read cache in Redis: generation-keyed, race-free, and optional.

Each board has a generation counter ``<prefix>{<boardId>}:gen``. A reader fetches the counter
and the value stored under it in one round trip (a Lua script); on a miss it reads MongoDB and
stores the value under the generation it saw *before* the database read. A writer bumps the
counter (``INCR``) after its database write and before answering. So a slow reader that read
the database before a write can only store its stale value under an old generation that nobody
reads any more, and a client that reads after its own write returned always misses the old
entries: no stale read after one's own write.

Redis is optional: every Redis error is caught here, logged once per up/down transition, and
turns into a miss (reads go to MongoDB). A write whose ``INCR`` fails is remembered and the
bump retried before this process trusts the cache again. What remains: while Redis is
unreachable from a writer but keeps its data, *another* replica may serve the pre-write value
until the entry's TTL expires or the writer's retry lands.

The board service caches board bodies with it, the task service every task of a board and,
keyed by user instead of board, the boards each user belongs to (search).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import redis.asyncio as aioredis
import redis.exceptions

_log = logging.getLogger(__name__)

T = TypeVar("T")

# KEYS[1] = generation key; ARGV[1] = value key prefix. Returns {generation, value or false}.
_READ_SCRIPT = """
local g = redis.call('GET', KEYS[1])
if not g then g = '0' end
return {g, redis.call('GET', ARGV[1] .. g)}
"""
_REDIS_ERRORS = (redis.exceptions.RedisError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Lookup(Generic[T]):
    """The result of a read: a hit, or the generation to store a fresh value under (``None``
    when Redis is unavailable and nothing should be stored)."""

    hit: T | None
    generation: str | None


class ReadCache(Generic[T]):
    """Generation-keyed values per board in Redis, degrading to "always miss" without Redis.

    ``decode`` turns stored bytes into the hit (raising ``ValueError``, ``KeyError`` or
    ``TypeError`` for an unreadable entry, which then counts as a miss)."""

    # What the logs call this cache.
    name: ClassVar[str] = "read cache"
    # The part of a value's key that names the entry format: a cache whose format changes
    # takes a new one, so replicas of the old and new code never read each other's entries.
    entry_kind: ClassVar[str] = "body"

    def decode(self, value: bytes) -> T:
        """An entry as :meth:`put` stored it; each cache says how to read its own."""
        raise NotImplementedError

    def __init__(
        self,
        client: aioredis.Redis | None,
        *,
        prefix: str,
        ttl_seconds: int,
        generation_ttl_seconds: int,
        retry_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl_seconds
        self._generation_ttl = generation_ttl_seconds
        self._retry_seconds = retry_seconds
        self._script = client.register_script(_READ_SCRIPT) if client is not None else None
        self._down_until = 0.0
        self._down = False
        # Boards whose invalidation did not reach Redis; bumped before the cache is used again.
        self._pending: set[str] = set()

    def _generation_key(self, board_id: str) -> str:
        # The hash tag keeps a board's keys in one slot (Redis Cluster) for the script.
        return f"{self._prefix}{{{board_id}}}:gen"

    def _value_prefix(self, board_id: str) -> str:
        return f"{self._prefix}{{{board_id}}}:{self.entry_kind}:"

    def _available(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self._retry_seconds
        if not self._down:
            self._down = True
            _log.warning("%s unavailable, reading from MongoDB: %s", self.name, type(exc).__name__)

    def _succeeded(self) -> None:
        if self._down:
            self._down = False
            _log.info("%s available again", self.name)

    async def _flush_pending(self) -> bool:
        """Retry invalidations that failed; ``False`` if some still could not be made."""
        if not self._pending:
            return True
        pending = set(self._pending)
        try:
            await self._bump(pending)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._pending -= pending
        return True

    async def _bump(self, board_ids: set[str]) -> None:
        assert self._client is not None
        async with self._client.pipeline(transaction=False) as pipe:
            for board_id in board_ids:
                key = self._generation_key(board_id)
                pipe.incr(key)
                pipe.expire(key, self._generation_ttl)
            await pipe.execute()

    async def get(self, board_id: str) -> Lookup[T]:
        """The cached value, or the generation a fresh one must be stored under."""
        if not self._available() or not await self._flush_pending():
            return Lookup(hit=None, generation=None)
        assert self._script is not None
        try:
            generation, value = await self._script(
                keys=[self._generation_key(board_id)], args=[self._value_prefix(board_id)]
            )
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return Lookup(hit=None, generation=None)
        self._succeeded()
        gen = generation.decode() if isinstance(generation, bytes) else str(generation)
        if value is None:
            return Lookup(hit=None, generation=gen)
        try:
            return Lookup(hit=self.decode(value), generation=gen)
        except (ValueError, KeyError, TypeError):
            _log.warning("unreadable %s entry ignored", self.name, extra={"boardId": board_id})
            return Lookup(hit=None, generation=gen)

    async def put(self, board_id: str, generation: str | None, entry: bytes) -> None:
        """Store a value read from MongoDB under the generation seen before that read."""
        if generation is None or not self._available():
            return
        assert self._client is not None
        try:
            await self._client.set(self._value_prefix(board_id) + generation, entry, ex=self._ttl)
        except _REDIS_ERRORS as exc:
            self._failed(exc)

    async def invalidate(self, board_id: str) -> None:
        """Make every cached value of the board unreachable; call after each committed write."""
        await self.invalidate_many((board_id,))

    async def invalidate_many(self, keys: Iterable[str]) -> None:
        """:meth:`invalidate` for several keys in one Redis round trip."""
        if self._client is None:
            return
        self._pending.update(keys)
        if not self._pending or not self._available():
            return
        pending = set(self._pending)
        try:
            await self._bump(pending)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return
        self._pending -= pending
        self._succeeded()
