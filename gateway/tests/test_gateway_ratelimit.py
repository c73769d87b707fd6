"""Rate limits: 429 with the IETF headers, per user / per IP / per email, and an in-process
fallback while Redis is away that hands back to Redis when it returns."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import subprocess

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from gateway.tests.conftest import FAKE, Harness, HarnessFactory, Seen
from hintro_devtools.ports import free_port
from hintro_gateway.config import RatePolicy
from hintro_gateway.gateway import GATEWAY
from hintro_gateway.ratelimit import Limit, LocalLimiter, RateLimiter
from hintro_testkit.infra import redis_url, unique, wait_for

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def _remaining(header: str, policy: str) -> int:
    match = re.search(rf'"{policy}";r=(\d+);t=(\d+)', header)
    assert match, header
    return int(match.group(1))


async def test_over_the_limit_is_429_with_retry_after_and_ratelimit_headers(
    make_gateway: HarnessFactory,
) -> None:
    harness = await make_gateway(rate_limit_default="3/60")
    remaining = []
    for _ in range(3):
        response = await harness.client.get("/api/boards", headers=harness.auth("ada"))
        assert response.status == 200
        assert response.headers["RateLimit-Policy"] == '"default";q=3;w=60'
        remaining.append(_remaining(response.headers["RateLimit"], "default"))
    assert remaining == [2, 1, 0]
    refused = await harness.client.get("/api/boards", headers=harness.auth("ada"))
    assert refused.status == 429
    assert refused.content_type == PROBLEM
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.headers["RateLimit-Policy"] == '"default";q=3;w=60'
    assert _remaining(refused.headers["RateLimit"], "default") == 0
    assert (await refused.json())["status"] == 429
    assert len(harness.services["board"].seen) == 3
    metrics = await (await harness.client.get("/metrics")).text()
    assert 'hintro_gateway_ratelimit_rejections_total{policy="default"}' in metrics


async def test_each_user_has_their_own_budget(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(rate_limit_default="2/60")
    for _ in range(2):
        assert (await harness.client.get("/api/boards", headers=harness.auth("ada"))).status == 200
    assert (await harness.client.get("/api/boards", headers=harness.auth("ada"))).status == 429
    assert (await harness.client.get("/api/boards", headers=harness.auth("bob"))).status == 200


RIGHT_PASSWORD = "the-right-one"


async def _checking_login(request: web.Request) -> web.Response:
    # A stand-in auth that knows one password: 200 for it, 401 for any other.
    raw = await request.read()
    request.app[FAKE].seen.append(Seen(request.method, request.path_qs, {}, raw))
    body = json.loads(raw)
    if body.get("password") == RIGHT_PASSWORD:
        return web.json_response({"accessToken": "a"})
    return web.json_response({"status": 401}, status=401)


def _with_checking_login(app: web.Application) -> None:
    app.router.add_post("/api/auth/login", _checking_login)


async def _login(harness: Harness, ip: str, email: str, password: str = "wrong") -> int:  # noqa: S107
    body = json.dumps({"email": email, "password": password}).encode()
    response = await harness.client.post(
        "/api/auth/login",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": ip},
    )
    if response.status != 429:
        # The body the gateway read for the email still reached auth whole.
        assert harness.services["auth"].seen[-1].body == body
    return response.status


async def test_login_attempts_are_limited_per_address(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(rate_limit_auth_ip="3/60", trusted_proxies="127.0.0.1/32")
    assert await _login(harness, "198.51.100.1", "x@hintro.dev") == 200
    assert await _login(harness, "198.51.100.1", "y@hintro.dev") == 200
    assert await _login(harness, "198.51.100.1", "z@hintro.dev") == 200
    assert await _login(harness, "198.51.100.1", "w@hintro.dev") == 429  # per address
    assert await _login(harness, "198.51.100.2", "w@hintro.dev") == 200  # another address
    # Register shares the per-address budget.
    response = await harness.client.post(
        "/api/auth/register",
        json={"email": "v@hintro.dev", "password": "pw-123456", "name": "V"},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert response.status == 429
    assert '"auth-ip";q=3;w=60' in response.headers["RateLimit-Policy"]
    assert "Retry-After" in response.headers


async def test_successful_logins_do_not_count_against_the_email(
    make_gateway: HarnessFactory,
) -> None:
    harness = await make_gateway(
        customize={"auth": _with_checking_login},
        rate_limit_auth_email_ip="2/60",
        rate_limit_auth_email="3/60",
        trusted_proxies="127.0.0.1/32",
    )
    for _ in range(6):
        assert await _login(harness, "198.51.100.1", "X@Hintro.dev ", RIGHT_PASSWORD) == 200


async def test_wrong_passwords_cannot_lock_the_owner_out(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(
        customize={"auth": _with_checking_login},
        rate_limit_auth_email_ip="2/60",
        rate_limit_auth_email="3/60",
        trusted_proxies="127.0.0.1/32",
    )
    owner, email = "203.0.113.7", "owner@hintro.dev"
    assert await _login(harness, owner, email, RIGHT_PASSWORD) == 200  # the owner's address
    # One attacker address: stopped after its own failures for that email (same email, any
    # case), and those failures alone do not exhaust the email's bucket.
    attacker = "198.51.100.1"
    assert [await _login(harness, attacker, e) for e in (email, email.upper(), email)] == [
        401,
        401,
        429,
    ]
    assert await _login(harness, "198.51.100.9", email, RIGHT_PASSWORD) == 200
    # Several attacker addresses: the email's failure bucket runs out, and then only addresses
    # the account signed in from get through to auth.
    statuses = [await _login(harness, f"198.51.100.{n}", email) for n in range(2, 6)]
    assert statuses == [401, 429, 429, 429]
    assert await _login(harness, "192.0.2.50", email) == 429  # a guess from a new address
    assert await _login(harness, owner, email, RIGHT_PASSWORD) == 200  # the owner is let in
    assert await _login(harness, "198.51.100.9", email, RIGHT_PASSWORD) == 200
    # Other accounts are not affected.
    assert await _login(harness, "192.0.2.50", "other@hintro.dev") == 401


async def test_ipv6_clients_are_limited_per_64(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(rate_limit_default="2/60", trusted_proxies="127.0.0.1/32")

    async def refresh(ip: str) -> int:
        response = await harness.client.post(
            "/api/auth/refresh", json={"refreshToken": "r"}, headers={"X-Forwarded-For": ip}
        )
        return response.status

    assert await refresh("2001:db8:1:2::1") == 200
    assert await refresh("2001:db8:1:2:ffff:ffff:ffff:fffe") == 200
    assert await refresh("2001:db8:1:2:abcd::9") == 429  # the same /64, another address
    assert await refresh("2001:db8:1:3::1") == 200  # the next /64
    # An IPv4-mapped address counts as its IPv4 address.
    assert await refresh("192.0.2.77") == 200
    assert await refresh("::ffff:192.0.2.77") == 200
    assert await refresh("192.0.2.77") == 429


async def test_anonymous_callers_are_limited_per_ip(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(rate_limit_default="2/60", trusted_proxies="127.0.0.1/32")
    for _ in range(2):
        response = await harness.client.post(
            "/api/auth/refresh",
            json={"refreshToken": "r"},
            headers={"X-Forwarded-For": "192.0.2.1"},
        )
        assert response.status == 200
    third = await harness.client.post(
        "/api/auth/refresh", json={"refreshToken": "r"}, headers={"X-Forwarded-For": "192.0.2.1"}
    )
    assert third.status == 429
    other = await harness.client.post(
        "/api/auth/refresh", json={"refreshToken": "r"}, headers={"X-Forwarded-For": "192.0.2.2"}
    )
    assert other.status == 200


async def test_redis_and_local_limiters_agree() -> None:
    client = aioredis.Redis.from_url(redis_url())
    limiter = RateLimiter(client, prefix=unique("rl") + ":")
    local = LocalLimiter()
    limits = [Limit(RatePolicy("p", 3, 60), "k1"), Limit(RatePolicy("q", 5, 10), "k2")]
    try:
        for _ in range(4):
            remote = await limiter.check(limits)
            here = local.check(limits)
            assert remote.allowed == here.allowed
            assert [s.remaining for s in remote.states] == [s.remaining for s in here.states]
        assert not remote.allowed
        assert 19 <= remote.retry_after_seconds <= 20  # one emission interval of 60/3 s
        assert not limiter.local_mode
    finally:
        await limiter.close()
        await client.aclose()


async def test_concurrent_checks_are_batched_and_each_one_charged() -> None:
    # Checks arriving in one event-loop turn go to Redis in one pipeline: each still counts.
    client = aioredis.Redis.from_url(redis_url())
    limiter = RateLimiter(client, prefix=unique("rl") + ":")
    limits = [Limit(RatePolicy("p", 5, 60), "shared")]
    try:
        decisions = await asyncio.gather(*(limiter.check(limits) for _ in range(8)))
        assert sum(decision.allowed for decision in decisions) == 5
        assert sorted(d.states[0].remaining for d in decisions if d.allowed) == [0, 1, 2, 3, 4]
        assert not limiter.local_mode
    finally:
        await limiter.close()
        await client.aclose()


async def test_batched_checks_survive_redis_forgetting_the_script() -> None:
    client = aioredis.Redis.from_url(redis_url())
    limiter = RateLimiter(client, prefix=unique("rl") + ":")
    limits = [Limit(RatePolicy("p", 100, 60), "k")]
    try:
        await limiter.check(limits)
        await client.script_flush()  # as after a Redis restart: the next EVALSHA is NOSCRIPT
        decisions = await asyncio.gather(*(limiter.check(limits) for _ in range(3)))
        assert all(decision.allowed for decision in decisions)
        assert sorted(d.states[0].remaining for d in decisions) == [96, 97, 98]
        assert not limiter.local_mode
    finally:
        await limiter.close()
        await client.aclose()


def test_local_limiter_refills_at_the_steady_rate() -> None:
    local = LocalLimiter()
    limits = [Limit(RatePolicy("p", 2, 1), "k")]
    now = 1_000_000_000
    assert local.check(limits, now).allowed
    assert local.check(limits, now).allowed
    denied = local.check(limits, now)
    assert not denied.allowed
    assert denied.retry_after_seconds == 1
    assert local.check(limits, now + 500_000).allowed  # half a second: one more request
    assert not local.check(limits, now + 500_000).allowed


def test_local_limiter_charges_all_limits_or_none() -> None:
    local = LocalLimiter()
    tight = Limit(RatePolicy("tight", 1, 60), "a")
    loose = Limit(RatePolicy("loose", 10, 60), "b")
    assert local.check([tight, loose], 0).allowed
    assert not local.check([tight, loose], 0).allowed
    # The refused request did not spend the loose budget.
    assert local.check([loose], 0).states[0].remaining == 8


def test_local_limiter_memory_is_bounded() -> None:
    local = LocalLimiter(max_keys=100)
    policy = RatePolicy("p", 10, 60)
    for i in range(1000):
        local.check([Limit(policy, f"k{i}")], 0)
    assert len(local._tats) <= 100


@pytest.fixture
def own_redis_port() -> int:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    return free_port()


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    # A Redis of this test's own, so stopping it cannot disturb anything else.
    return subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _ping(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


async def test_redis_outage_falls_back_to_the_local_limiter_and_back(
    make_gateway: HarnessFactory, own_redis_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://127.0.0.1:{own_redis_port}/0"
    server = _start_redis(own_redis_port)
    try:
        await wait_for(lambda: _ping(url), what="test redis up")
        harness: Harness = await make_gateway(
            redis_url=url, rate_limit_default="4/60", rate_limit_redis_retry_seconds=0.1
        )
        limiter = harness.app[GATEWAY].limiter
        first = await harness.client.get("/api/boards", headers=harness.auth("ada"))
        assert first.status == 200
        assert _remaining(first.headers["RateLimit"], "default") == 3

        caplog.set_level(logging.INFO, logger="hintro_gateway.ratelimit")
        server.terminate()
        server.wait(10)
        # Still serving, still limiting: the in-process limiter starts a fresh budget of 4.
        statuses = [
            (await harness.client.get("/api/boards", headers=harness.auth("ada"))).status
            for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 200, 429]
        assert limiter.local_mode
        warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(warnings) == 1  # once per transition, not per request
        ready = await (await harness.client.get("/readyz")).json()
        assert ready["status"] == "ready"
        assert ready["checks"]["ratelimit"].startswith("degraded")
        assert ready["checks"]["redis"].startswith("degraded")

        server = _start_redis(own_redis_port)
        await wait_for(lambda: _ping(url), what="test redis back")
        await wait_for(lambda: _async_true(not limiter.local_mode), what="limiter back on redis")
        assert sum("Redis reachable again" in r.getMessage() for r in caplog.records) == 1
        again = await harness.client.get("/api/boards", headers=harness.auth("ada"))
        assert again.status == 200
        assert _remaining(again.headers["RateLimit"], "default") == 3  # new Redis, new state
        client = aioredis.Redis.from_url(url)
        try:
            assert await client.keys(f"{harness.settings.rate_limit_prefix}*")
        finally:
            await client.aclose()
        ready = await (await harness.client.get("/readyz")).json()
        assert ready["checks"]["ratelimit"] == "ok"
    finally:
        server.terminate()
        server.wait(10)


async def _async_true(value: bool) -> bool:
    return value


async def test_refunds_and_marks_agree_in_redis_and_in_process() -> None:
    client = aioredis.Redis.from_url(redis_url())
    limiter = RateLimiter(client, prefix=unique("rl") + ":")
    local = LocalLimiter()
    limits = [Limit(RatePolicy("failures", 2, 60), "k")]
    try:
        for _ in range(2):
            assert (await limiter.check(limits)).allowed
            assert local.check(limits).allowed
        assert not (await limiter.check(limits)).allowed
        assert not local.check(limits).allowed
        await limiter.refund(limits)
        local.refund(limits)
        # One charge given back: exactly one more request fits.
        assert (await limiter.check(limits)).allowed
        assert local.check(limits).allowed
        assert not (await limiter.check(limits)).allowed
        assert not local.check(limits).allowed
        assert not await limiter.marked("known")
        await limiter.mark("known", 60)
        local.mark("known", 60)
        assert await limiter.marked("known")
        assert local.marked("known")
        assert not local.marked("other")
        assert not limiter.local_mode
    finally:
        await limiter.close()
        await client.aclose()


async def test_email_lookups_and_member_additions_share_a_per_user_budget(
    make_gateway: HarnessFactory,
) -> None:
    harness = await make_gateway(rate_limit_user_lookup="2/600")
    ada = harness.auth("ada")
    first = await harness.client.get("/api/users?email=a@example.com", headers=ada)
    assert first.status == 200
    assert '"user-lookup";q=2;w=600' in first.headers["RateLimit-Policy"]
    added = await harness.client.post("/api/boards/b1/members", json={}, headers=ada)
    assert added.status == 200
    refused = await harness.client.get("/api/users?email=b@example.com", headers=ada)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Profiles by id are not lookups; another user has a budget of their own.
    assert (await harness.client.get("/api/users?ids=x", headers=ada)).status == 200
    other = await harness.client.get("/api/users?email=c@example.com", headers=harness.auth("bob"))
    assert other.status == 200


class CountingScripts(RateLimiter):
    """A limiter that counts the script calls it sends to Redis."""

    calls = 0

    async def _eval(self, script, keys, args):  # type: ignore[no-untyped-def]
        self.calls += 1
        return await super()._eval(script, keys, args)


async def test_a_hot_key_takes_leases_and_every_request_stays_charged_in_redis() -> None:
    client = aioredis.Redis.from_url(redis_url())
    prefix = unique("rl") + ":"
    limiter = CountingScripts(client, prefix=prefix, lease_max=16)
    policy = RatePolicy("p", 100_000, 3600)  # refills ~28 a second: the figures barely move
    limits = [Limit(policy, "hot")]
    try:
        decisions = [await limiter.check(limits) for _ in range(200)]
        assert all(decision.allowed for decision in decisions)
        # Leases of 1, 2, 4, 8, then 16 at a time: far fewer round trips than requests.
        assert limiter.calls <= 20
        remaining = decisions[-1].states[0].remaining
        assert 100_000 - 200 - 16 <= remaining <= 100_000 - 200 + 30
        # Redis holds at least every request served: its TAT is that many intervals ahead.
        tat = int(await client.get(prefix + "hot"))
        now_s, now_us = await client.time()
        ahead = tat - (now_s * 1_000_000 + now_us)
        assert ahead >= 200 * limits[0].interval_us - 1_000_000  # less what elapsed meanwhile
    finally:
        await limiter.close()
        await client.aclose()


async def test_replicas_with_leases_never_let_more_than_the_quota_through() -> None:
    client = aioredis.Redis.from_url(redis_url())
    prefix = unique("rl") + ":"
    replicas = [RateLimiter(client, prefix=prefix, lease_max=8) for _ in range(3)]
    limits = [Limit(RatePolicy("p", 800, 3600), "shared")]
    try:
        decisions = await asyncio.gather(*(replicas[n % 3].check(limits) for n in range(1200)))
        allowed = sum(decision.allowed for decision in decisions)
        assert allowed <= 800
        # What leases leave unspent stays charged: at most a lease's size per replica.
        assert allowed >= 800 - 3 * 8
        refused = [decision for decision in decisions if not decision.allowed]
        assert all(decision.retry_after_seconds >= 1 for decision in refused)
    finally:
        for limiter in replicas:
            await limiter.close()
        await client.aclose()


async def test_small_quotas_are_charged_per_request_without_leases() -> None:
    client = aioredis.Redis.from_url(redis_url())
    limiter = CountingScripts(client, prefix=unique("rl") + ":", lease_max=32)
    limits = [Limit(RatePolicy("p", 150, 60), "k")]  # a lease of 1: quota below 200
    try:
        for _ in range(10):
            assert (await limiter.check(limits)).allowed
        assert limiter.calls == 10
    finally:
        await limiter.close()
        await client.aclose()
