"""Each board's last pushed ``seq``, in Redis, so whichever replica is the active pusher (the
role moves on failover) continues where the previous one stopped."""

from __future__ import annotations

import redis.asyncio as aioredis

# Only ever raises the stored seq: a stale pusher (one that lost the active role during a
# broker hiccup) can never move a board backwards.
_ADVANCE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return current
"""


class RedisSeqCursor:
    """``<prefix>seq:<boardId>`` = the highest seq pushed for the board."""

    def __init__(self, client: aioredis.Redis, *, prefix: str, ttl_seconds: int) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl_seconds
        self._advance = client.register_script(_ADVANCE)

    def _key(self, board_id: str) -> str:
        return f"{self._prefix}seq:{board_id}"

    async def last(self, board_id: str) -> int:
        """The last pushed seq, 0 when none is known."""
        raw = await self._client.get(self._key(board_id))
        return int(raw) if raw is not None else 0

    async def advance(self, board_id: str, seq: int) -> None:
        """Record that ``seq`` was pushed (never lowers the stored value)."""
        await self._advance(keys=[self._key(board_id)], args=[seq, self._ttl])

    async def forget(self, board_id: str) -> None:
        """The board is gone."""
        await self._client.delete(self._key(board_id))
