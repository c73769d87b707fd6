"""A service that refuses, breaks, stalls or is down is a quick problem+json answer, never a
hang; replicas share the load and a refusing one is skipped."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from aiohttp import web

from gateway.tests.conftest import HarnessFactory, start_fake
from hintro_devtools.ports import free_port

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def concrete(pattern: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-x1", pattern)


async def test_refused_upstream_is_502_problem(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(board_url=f"http://127.0.0.1:{free_port()}")
    response = await harness.client.get("/api/boards", headers=harness.auth())
    assert response.status == 502
    assert response.content_type == PROBLEM
    body = await response.json()
    assert "Traceback" not in json.dumps(body)


async def test_slow_upstream_is_504_within_the_bound(make_gateway: HarnessFactory) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.json_response({})

    harness = await make_gateway(
        customize={"activity": lambda app: app.router.add_get("/api/boards/b1/activity", slow)},
        upstream_timeout=0.5,
    )
    started = time.monotonic()
    response = await harness.client.get("/api/boards/b1/activity", headers=harness.auth())
    assert response.status == 504
    assert response.content_type == PROBLEM
    assert time.monotonic() - started < 2.0


async def test_broken_upstream_response_is_502(make_gateway: HarnessFactory) -> None:
    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.1)
        return web.json_response({})

    harness = await make_gateway(
        customize={"task": lambda app: app.router.add_get("/api/tasks/t1", hang_up)}
    )
    response = await harness.client.get("/api/tasks/t1", headers=harness.auth())
    assert response.status == 502
    assert response.content_type == PROBLEM


async def test_down_upstream_opens_the_circuit_and_answers_503_at_once(
    make_gateway: HarnessFactory,
) -> None:
    port = free_port()
    harness = await make_gateway(
        board_url=f"http://127.0.0.1:{port}", circuit_failure_threshold=2, circuit_reset_seconds=0.5
    )
    statuses = []
    for _ in range(4):
        started = time.monotonic()
        response = await harness.client.get("/api/boards", headers=harness.auth())
        statuses.append(response.status)
        assert time.monotonic() - started < 1.0
    assert statuses == [502, 502, 503, 503]
    assert int(response.headers["Retry-After"]) >= 1

    # The service comes back: after the reset period a trial request closes the circuit.
    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        await asyncio.sleep(0.6)
        response = await harness.client.get("/api/boards", headers=harness.auth())
        assert response.status == 404  # the empty app answers: the request went through
    finally:
        await runner.cleanup()


async def test_upstream_503_is_passed_through(make_gateway: HarnessFactory) -> None:
    async def busy(_: web.Request) -> web.Response:
        return web.json_response(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "x"},
            status=503,
            content_type=PROBLEM,
            headers={"Retry-After": "1"},
        )

    harness = await make_gateway(
        customize={"auth": lambda app: app.router.add_get("/api/auth/me", busy)}
    )
    response = await harness.client.get("/api/auth/me", headers=harness.auth())
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"


async def test_requests_are_spread_over_replicas_and_avoid_a_refusing_one(
    make_gateway: HarnessFactory,
) -> None:
    one, two = await start_fake("board"), await start_fake("board")
    try:
        harness = await make_gateway(board_urls=f"{one.url},{two.url}")
        for _ in range(4):
            assert (await harness.client.get("/api/boards", headers=harness.auth())).status == 200
        assert (len(one.seen), len(two.seen)) == (2, 2)

        dead = f"http://127.0.0.1:{free_port()}"
        harness = await make_gateway(board_urls=f"{dead},{one.url}")
        for i in range(4):
            # A refused connection never reached the replica, so even a POST goes to the next.
            response = await harness.client.post(
                "/api/boards", json={"title": f"b{i}"}, headers=harness.auth()
            )
            assert response.status == 200
        assert len(one.seen) == 6
    finally:
        await one.server.close()
        await two.server.close()


async def test_socketio_requests_stick_to_one_realtime_replica_per_client(
    make_gateway: HarnessFactory,
) -> None:
    one, two = await start_fake("realtime"), await start_fake("realtime")
    try:
        harness = await make_gateway(
            realtime_urls=f"{one.url},{two.url}", trusted_proxies="127.0.0.1/32"
        )
        for client in range(20):
            ip = f"203.0.113.{client}"
            before = (len(one.seen), len(two.seen))
            for _ in range(3):
                response = await harness.client.get(
                    "/socket.io/?EIO=4&transport=polling", headers={"X-Forwarded-For": ip}
                )
                assert response.status == 200
            grew = (len(one.seen) - before[0], len(two.seen) - before[1])
            assert grew in ((3, 0), (0, 3)), ip
        assert one.seen, "every client landed on one replica"
        assert two.seen, "every client landed on one replica"
    finally:
        await one.server.close()
        await two.server.close()


async def test_slow_logins_do_not_open_the_circuit_for_auths_cheap_routes(
    make_gateway: HarnessFactory,
) -> None:
    async def slow_login(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    harness = await make_gateway(
        customize={"auth": lambda app: app.router.add_post("/api/auth/login", slow_login)},
        upstream_timeout=0.3,
        circuit_failure_threshold=2,
    )
    for _ in range(3):
        response = await harness.client.post(
            "/api/auth/login", json={"email": "a@hintro.dev", "password": "pw-123456"}
        )
        assert response.status == 504
    refresh = await harness.client.post("/api/auth/refresh", json={"refreshToken": "r"})
    assert refresh.status == 200
    assert (await harness.client.get("/api/auth/me", headers=harness.auth())).status == 200
    jwks = await harness.client.get("/api/auth/.well-known/jwks.json")
    assert jwks.status == 200


async def test_timeouts_of_cheap_routes_still_open_the_circuit(
    make_gateway: HarnessFactory,
) -> None:
    async def slow_me(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    harness = await make_gateway(
        customize={"auth": lambda app: app.router.add_get("/api/auth/me", slow_me)},
        upstream_timeout=0.3,
        circuit_failure_threshold=2,
        circuit_reset_seconds=30,
    )
    for _ in range(2):
        assert (await harness.client.get("/api/auth/me", headers=harness.auth())).status == 504
    refresh = await harness.client.post("/api/auth/refresh", json={"refreshToken": "r"})
    assert refresh.status == 503
    assert "Retry-After" in refresh.headers
