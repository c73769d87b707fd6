"""Overload at the gateway: past UPSTREAM_MAX_IN_FLIGHT to one service a request is a 503 with
Retry-After at once (no queue, circuit untouched) while other services and the probes keep
answering; every forwarded request carries the deadline the service works to (X-Timeout-Ms),
never the client's."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from gateway.tests.conftest import Harness, HarnessFactory
from hintro_gateway.config import GatewaySettings
from hintro_gateway.gateway import GATEWAY
from hintro_shared.overload import TIMEOUT_HEADER

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


async def _until(condition: object, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_a_saturated_service_is_503_at_once_and_the_others_keep_answering(
    make_gateway: HarnessFactory,
) -> None:
    release = asyncio.Event()
    entered = 0

    async def stuck(_: web.Request) -> web.Response:
        nonlocal entered
        entered += 1
        await release.wait()
        return web.json_response({"ok": True})

    harness: Harness = await make_gateway(
        customize={"board": lambda app: app.router.add_get("/api/boards/b1", stuck)},
        upstream_max_in_flight=3,
        upstream_pool_size=24,  # 3 x the eight services
    )
    try:
        busy = [
            asyncio.create_task(harness.client.get("/api/boards/b1", headers=harness.auth()))
            for _ in range(3)
        ]
        await _until(lambda: entered == 3)

        started = time.perf_counter()
        refused = await harness.client.get("/api/boards", headers=harness.auth())
        assert time.perf_counter() - started < 0.5
        assert refused.status == 503
        assert refused.content_type == PROBLEM
        assert refused.headers["Retry-After"] == "1"
        assert entered == 3  # never reached the service

        # Another service, the gateway's probes and its metrics answer meanwhile.
        tasks = await harness.client.get("/api/tasks/t1", headers=harness.auth())
        assert tasks.status == 200
        assert (await harness.client.get("/healthz")).status == 200
        metrics = await (await harness.client.get("/metrics")).text()
        assert 'hintro_gateway_upstream_requests_total{outcome="overloaded",upstream="board"}' in (
            metrics
        )
        (board,) = harness.app[GATEWAY].proxy.pools["board"].replicas
        assert not board.breaker.is_open

        release.set()
        assert [(await task).status for task in busy] == [200, 200, 200]
        # The bound frees as the load goes: the next request is served.
        again = await harness.client.get("/api/boards", headers=harness.auth())
        assert again.status == 200
    finally:
        release.set()


async def test_the_service_gets_the_gateways_deadline_not_the_clients(gw: Harness) -> None:
    response = await gw.client.get(
        "/api/boards", headers={**gw.auth(), TIMEOUT_HEADER: "1", "X-Timeout-MS": "2"}
    )
    assert response.status == 200
    seen = gw.services["board"].seen[-1]
    expected = str(int(gw.settings.upstream_timeout * 1000) - 250)
    assert seen.headers[TIMEOUT_HEADER.lower()] == [expected]


def test_the_pool_must_hold_every_services_bound() -> None:
    with pytest.raises(ValueError, match="UPSTREAM_POOL_SIZE"):
        GatewaySettings(environment="test", upstream_max_in_flight=100, upstream_pool_size=200)
