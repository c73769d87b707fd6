"""Rate limiting with GCRA (generic cell rate algorithm), in Redis with an in-process fallback.

GCRA keeps one number per key, the theoretical arrival time (TAT): each request pushes it one
emission interval (``window / quota``) forward, and a request is refused when the TAT would run
more than one window ahead of now. That allows bursts up to the quota and a steady rate of
``quota / window``, with O(1) state and no clean-up job. All the limits that apply to one request
(e.g. per IP, per email) are checked and taken in one Lua script: one round trip, and either all
of them are charged or none.

A hot key (one user's many requests to one replica) may take its charges from Redis in
advance, a *lease* of several requests at a time, and spend them in process: Redis still holds
every request charged (a lease pushes the TAT as far as its size, before any of its requests
pass), so no replica, nor all of them together, lets more through than the quota; what a lease
changes is that up to ``size - 1`` charged requests a replica did not use within
``lease_seconds`` are forgotten, which only makes the limit stricter. Leases grow (1, 2, 4, ...)
while a key's previous lease was spent within ``lease_seconds``, never beyond one hundredth of
the policy's quota nor ``lease_max``, so small quotas and cold keys are charged one Redis
round trip per request as before.

When Redis cannot be reached the limiter switches to the same algorithm in memory (limits then
hold per gateway replica), says so once in the logs and in readiness, probes Redis in the
background and switches back when it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
import redis.exceptions
from redis.commands.core import AsyncScript

from hintro_gateway.config import RatePolicy
from hintro_gateway.metrics import RATE_LIMIT_LOCAL

_log = logging.getLogger(__name__)
_US = 1_000_000
# One request's script call waiting for the batch's round trip: script, keys, args, its answer.
_Pending = tuple[AsyncScript, list[str], list[int], "asyncio.Future[list[int]]"]

# KEYS[i]: a limit's key. ARGV[2i-1], ARGV[2i]: its emission interval and burst tolerance (us).
# Returns {allowed, retry_after_us, remaining_1, reset_us_1, remaining_2, reset_us_2, ...}.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed = 1
local retry = 0
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tau = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local wait = tat + interval - tau - now
  if wait > 0 then
    allowed = 0
    if wait > retry then retry = wait end
  end
end
local out = {allowed, retry}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tau = tonumber(ARGV[2 * i])
  local tat = tats[i]
  if allowed == 1 then
    tat = tat + interval
    local ttl_ms = math.max(1, math.ceil((tat - now) / 1000))
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', ttl_ms)
  end
  out[#out + 1] = math.max(0, math.floor((tau - (tat - now)) / interval))
  out[#out + 1] = tat - now
end
return out
"""

# A lease of up to ARGV[3] requests on one key (KEYS[1]; ARGV[1], ARGV[2]: emission interval and
# burst tolerance, us): charges as many as fit now, at most that many.
# Returns {taken, retry_after_us, remaining, reset_us}.
LEASE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local fit = math.floor((now + tau - tat) / interval)
local taken = math.max(0, math.min(want, fit))
local retry = 0
if taken == 0 then
  retry = tat + interval - tau - now
else
  tat = tat + taken * interval
  local ttl_ms = math.max(1, math.ceil((tat - now) / 1000))
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttl_ms)
end
return {taken, retry, math.max(0, math.floor((tau - (tat - now)) / interval)), tat - now}
"""

# Gives back one request's charge (KEYS[i], ARGV[i]: its emission interval in us): the charge of
# a login that turned out to succeed, on a bucket that counts failures only.
REFUND_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or now) - tonumber(ARGV[i])
  if tat <= now then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
  end
end
return 1
"""


@dataclass(frozen=True)
class Limit:
    """One limit to charge: a policy applied to one key (a user, an IP, an email hash)."""

    policy: RatePolicy
    key: str

    @property
    def interval_us(self) -> int:
        """Microseconds between two requests at the steady rate."""
        return max(1, round(self.policy.window * _US / self.policy.quota))

    @property
    def tau_us(self) -> int:
        """Burst tolerance: one window."""
        return round(self.policy.window * _US)


@dataclass(frozen=True)
class PolicyState:
    """What the ``RateLimit`` header says about one policy after this request."""

    policy: RatePolicy
    remaining: int
    reset_seconds: int


@dataclass(frozen=True)
class Decision:
    """The verdict on one request."""

    allowed: bool
    retry_after_seconds: int
    states: tuple[PolicyState, ...]

    @property
    def denied_by(self) -> str:
        """The first policy with no quota left (for the 429 metric and detail)."""
        for state in self.states:
            if state.remaining == 0:
                return state.policy.name
        return self.states[0].policy.name if self.states else "default"


def _decision(
    limits: Sequence[Limit], allowed: bool, retry_us: int, raw: Sequence[int]
) -> Decision:
    states = tuple(
        PolicyState(limit.policy, int(raw[2 * i]), math.ceil(int(raw[2 * i + 1]) / _US))
        for i, limit in enumerate(limits)
    )
    return Decision(allowed, math.ceil(retry_us / _US) if not allowed else 0, states)


class LocalLimiter:
    """The same GCRA in memory: the fallback while Redis is away."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._tats: dict[str, int] = {}
        self._marks: dict[str, float] = {}
        self._max_keys = max_keys

    def check(self, limits: Sequence[Limit], now_us: int | None = None) -> Decision:
        """Charge every limit, or none when one of them is exhausted."""
        now = time.time_ns() // 1000 if now_us is None else now_us
        tats = [max(self._tats.get(limit.key, now), now) for limit in limits]
        retry = max(
            (
                tat + limit.interval_us - limit.tau_us - now
                for tat, limit in zip(tats, limits, strict=True)
            ),
            default=0,
        )
        allowed = retry <= 0
        raw: list[int] = []
        for i, limit in enumerate(limits):
            if allowed:
                tats[i] += limit.interval_us
                self._tats[limit.key] = tats[i]
            raw += [max(0, (limit.tau_us - (tats[i] - now)) // limit.interval_us), tats[i] - now]
        if len(self._tats) > self._max_keys:
            self._prune(now)
        return _decision(limits, allowed, max(retry, 0), raw)

    def refund(self, limits: Sequence[Limit], now_us: int | None = None) -> None:
        """Give back one charge on each limit."""
        now = time.time_ns() // 1000 if now_us is None else now_us
        for limit in limits:
            tat = self._tats.get(limit.key, now) - limit.interval_us
            if tat <= now:
                self._tats.pop(limit.key, None)
            else:
                self._tats[limit.key] = tat

    def _prune(self, now: int) -> None:
        # A key whose TAT has passed is indistinguishable from a fresh one: forget it.
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
        if len(self._tats) > self._max_keys:
            # Still too many live keys (an attack spraying keys): keep the newest half.
            keep = list(self._tats.items())[len(self._tats) // 2 :]
            self._tats = dict(keep)

    def clear(self) -> None:
        """Forget every key (Redis is authoritative again)."""
        self._tats.clear()
        self._marks.clear()

    def mark(self, key: str, ttl_seconds: float) -> None:
        """Remember ``key`` for ``ttl_seconds``."""
        if len(self._marks) >= self._max_keys:
            now = time.monotonic()
            self._marks = {k: until for k, until in self._marks.items() if until > now}
            if len(self._marks) >= self._max_keys:
                self._marks.pop(next(iter(self._marks)))
        self._marks[key] = time.monotonic() + ttl_seconds

    def marked(self, key: str) -> bool:
        """Whether ``key`` was remembered and has not expired."""
        return self._marks.get(key, 0.0) > time.monotonic()


@dataclass
class _Lease:
    """Requests of one key charged in Redis and not yet spent by this replica."""

    left: int
    size: int
    taken_at: float
    """Monotonic time the lease arrived; it is not spent after ``lease_seconds``."""
    remaining: int
    """Redis's remaining quota right after the lease was charged."""
    reset_at: float
    """Monotonic time Redis's TAT of this key reaches now (the ``RateLimit`` reset)."""


class RateLimiterDegraded(Exception):
    """Readiness detail: the in-process fallback is in use."""


class RateLimiter:
    """GCRA in Redis (one ``EVALSHA`` per request), falling back to :class:`LocalLimiter`."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str,
        retry_seconds: float = 2.0,
        local_max_keys: int = 100_000,
        batch: bool = True,
        lease_max: int = 1,
        lease_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._batch = batch
        self._script = client.register_script(GCRA_LUA)
        self._lease_script = client.register_script(LEASE_LUA)
        self._refund_script = client.register_script(REFUND_LUA)
        # Checks that arrive in the same event-loop turn share one pipelined round trip (see
        # _eval): under load that is one Redis call for many requests, each still charged.
        self._pending: list[_Pending] = []
        # Leases (see the module's docstring): 1 turns them off.
        self._lease_max = max(1, lease_max)
        self._lease_seconds = lease_seconds
        self._leases: dict[str, _Lease] = {}
        self._lease_waits: dict[str, asyncio.Future[None]] = {}
        self._lease_max_keys = local_max_keys
        self._flushes: set[asyncio.Task[None]] = set()
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._local = LocalLimiter(local_max_keys)
        self._probe: asyncio.Task[None] | None = None
        self.local_mode = False

    async def check(self, limits: Sequence[Limit]) -> Decision:
        """Charge ``limits`` for one request and say whether it may pass."""
        if not limits:
            return Decision(True, 0, ())
        if not self.local_mode and len(limits) == 1 and self._lease_cap(limits[0]) > 1:
            try:
                return await self._check_leased(limits[0])
            except (redis.exceptions.RedisError, OSError) as exc:
                self._enter_local_mode(exc)
        if not self.local_mode:
            keys = [self._prefix + limit.key for limit in limits]
            args: list[int] = []
            for limit in limits:
                args += [limit.interval_us, limit.tau_us]
            try:
                raw = await self._eval(self._script, keys, args)
            except (redis.exceptions.RedisError, OSError) as exc:
                self._enter_local_mode(exc)
            else:
                return _decision(limits, bool(raw[0]), int(raw[1]), [int(x) for x in raw[2:]])
        return self._local.check(limits)

    def _lease_cap(self, limit: Limit) -> int:
        """The largest lease ``limit`` may take: a hundredth of its quota, at most
        ``lease_max`` (small quotas: 1, charged per request in Redis)."""
        return min(self._lease_max, limit.policy.quota // 100)

    async def _check_leased(self, limit: Limit) -> Decision:
        """Spend one request of this replica's lease on ``limit``'s key, taking a new lease
        from Redis when there is none left (one at a time per key: concurrent checks wait for
        it rather than each charging a lease of their own)."""
        key = limit.key
        while True:
            now = time.monotonic()
            lease = self._leases.get(key)
            if lease is not None and lease.left > 0 and now - lease.taken_at < self._lease_seconds:
                lease.left -= 1
                reset_us = (lease.reset_at - now) * _US - lease.left * limit.interval_us
                state = PolicyState(
                    limit.policy, lease.remaining + lease.left, max(0, math.ceil(reset_us / _US))
                )
                return Decision(True, 0, (state,))
            waiting = self._lease_waits.get(key)
            if waiting is None:
                break
            await asyncio.shield(waiting)
        size = 1
        if lease is not None and lease.left == 0 and now - lease.taken_at < self._lease_seconds:
            size = min(lease.size * 2, self._lease_cap(limit))  # spent in time: a bigger one
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lease_waits[key] = done
        try:
            args = [limit.interval_us, limit.tau_us, size]
            raw = await self._eval(self._lease_script, [self._prefix + key], args)
            taken, retry_us, remaining, reset_us = (int(x) for x in raw)
            now = time.monotonic()
            if taken == 0:
                self._leases.pop(key, None)
                state = PolicyState(limit.policy, 0, math.ceil(reset_us / _US))
                return Decision(False, math.ceil(retry_us / _US), (state,))
            if len(self._leases) >= self._lease_max_keys:
                self._prune_leases(now)
            self._leases[key] = _Lease(taken - 1, size, now, remaining, now + reset_us / _US)
            reset = math.ceil((reset_us - (taken - 1) * limit.interval_us) / _US)
            return Decision(True, 0, (PolicyState(limit.policy, remaining + taken - 1, reset),))
        finally:
            del self._lease_waits[key]
            done.set_result(None)

    def _prune_leases(self, now: float) -> None:
        self._leases = {
            key: lease
            for key, lease in self._leases.items()
            if now - lease.taken_at < self._lease_seconds
        }
        if len(self._leases) >= self._lease_max_keys:
            self._leases.clear()  # forgetting leases only forgets charged requests

    async def refund(self, limits: Sequence[Limit]) -> None:
        """Give back one charge on each of ``limits`` (a request they should not have counted)."""
        if not limits:
            return
        if not self.local_mode:
            keys = [self._prefix + limit.key for limit in limits]
            try:
                await self._refund_script(keys=keys, args=[limit.interval_us for limit in limits])
            except (redis.exceptions.RedisError, OSError) as exc:
                self._enter_local_mode(exc)
            else:
                return
        self._local.refund(limits)

    async def mark(self, key: str, ttl_seconds: float) -> None:
        """Remember ``key`` for ``ttl_seconds`` (e.g. an address an account signed in from)."""
        if not self.local_mode:
            try:
                ttl_ms = max(1, round(ttl_seconds * 1000))
                await self._client.set(self._prefix + key, b"1", px=ttl_ms)
            except (redis.exceptions.RedisError, OSError) as exc:
                self._enter_local_mode(exc)
            else:
                return
        self._local.mark(key, ttl_seconds)

    async def marked(self, key: str) -> bool:
        """Whether ``key`` is remembered (see :meth:`mark`)."""
        if not self.local_mode:
            try:
                return bool(await self._client.exists(self._prefix + key))
            except (redis.exceptions.RedisError, OSError) as exc:
                self._enter_local_mode(exc)
        return self._local.marked(key)

    async def _eval(self, script: AsyncScript, keys: list[str], args: list[int]) -> list[int]:
        """Run a limiter script for one request, batched with the others of this loop turn."""
        if not self._batch:
            result: list[int] = await script(keys=keys, args=args)
            return result
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append((script, keys, args, future))
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._run_batch(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _run_batch(self, batch: list[_Pending]) -> None:
        try:
            if len(batch) == 1:
                script, keys, args, _ = batch[0]
                results: list[object] = [await script(keys=keys, args=args)]
            else:
                results = await self._pipelined(batch)
        except BaseException as exc:  # every waiter gets the failure (cancellation included)
            for _, _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)  # type: ignore[arg-type]

    async def _pipelined(self, batch: list[_Pending]) -> list[object]:
        """One EVALSHA per request in one non-transactional pipeline. A NOSCRIPT answer (Redis
        restarted or flushed its scripts) ran nothing: load the script and send those again."""
        results: list[object] = [None] * len(batch)
        todo = list(range(len(batch)))
        for attempt in range(2):
            pipe = self._client.pipeline(transaction=False)
            for index in todo:
                script, keys, args, _ = batch[index]
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            answers = await pipe.execute(raise_on_error=False)
            missing = []
            for index, answer in zip(todo, answers, strict=True):
                if isinstance(answer, redis.exceptions.NoScriptError) and attempt == 0:
                    missing.append(index)
                else:
                    results[index] = answer
            if not missing:
                break
            for script in {batch[index][0] for index in missing}:
                await self._client.script_load(script.script)
            todo = missing
        return results

    def _enter_local_mode(self, exc: BaseException) -> None:
        if self.local_mode:
            return
        self.local_mode = True
        RATE_LIMIT_LOCAL.set(1)
        _log.warning(
            "Redis unreachable (%s): rate limiting in process, limits now hold per gateway "
            "replica, until Redis answers again",
            type(exc).__name__,
        )
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._probe_until_back())

    async def _probe_until_back(self) -> None:
        while True:
            await asyncio.sleep(self._retry_seconds)
            try:
                await self._client.ping()
            except (redis.exceptions.RedisError, OSError):
                continue
            self.local_mode = False
            self._local.clear()
            self._leases.clear()
            RATE_LIMIT_LOCAL.set(0)
            _log.info("Redis reachable again: rate limiting in Redis")
            return

    async def readiness(self) -> None:
        """Optional readiness check: fails (``degraded``) while the fallback is in use."""
        if self.local_mode:
            raise RateLimiterDegraded("the in-process fallback limiter is in use")

    async def close(self) -> None:
        """Stop the background probe."""
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
