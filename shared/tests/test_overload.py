"""Overload protection of the shared HTTP base: past MAX_IN_FLIGHT a request is a 503 with
Retry-After at once while /healthz and /metrics still answer; a read still running at its
caller's deadline (X-Timeout-Ms) is stopped with 504, a write is not; a request that arrives
with no time left is not started."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hintro_shared.config import ServiceSettings
from hintro_shared.http import ADMISSION, create_base_app
from hintro_shared.overload import TIMEOUT_HEADER

PROBLEM = "application/problem+json"
Client = TestClient[web.Request, web.Application]


@dataclass
class Gate:
    """Handlers that wait until released, and what happened to them."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    entered: int = 0
    finished: int = 0
    cancelled: int = 0

    async def handler(self, _: web.Request) -> web.Response:
        self.entered += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        return web.json_response({"ok": True})


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def client(gate: Gate) -> AsyncIterator[Client]:
    settings = ServiceSettings(service_name="overloadtest", environment="test", max_in_flight=2)
    app = create_base_app(settings)
    app.router.add_get("/slow", gate.handler)
    app.router.add_post("/slow", gate.handler)
    app.router.add_get("/fast", _ok)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    gate.release.set()


async def _ok(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _until(condition: object, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_past_the_bound_a_request_is_503_at_once_and_probes_still_answer(
    client: Client, gate: Gate
) -> None:
    busy = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
    await _until(lambda: gate.entered == 2)
    assert client.app[ADMISSION].in_flight == 2

    started = time.perf_counter()
    refused = await client.get("/fast")
    assert time.perf_counter() - started < 0.5
    assert refused.status == 503
    assert refused.content_type == PROBLEM
    assert refused.headers["Retry-After"] == "1"
    assert gate.entered == 2  # refused before any work

    for probe in ("/healthz", "/readyz", "/metrics"):
        answer = await client.get(probe)
        assert answer.status == 200, probe
    metrics = await (await client.get("/metrics")).text()
    assert 'hintro_http_shed_total{reason="in_flight",service="overloadtest"}' in metrics
    assert 'hintro_http_in_flight{service="overloadtest"} 2.0' in metrics

    gate.release.set()
    assert [(await task).status for task in busy] == [200, 200]
    # Capacity is back as soon as the load is gone.
    assert (await client.get("/fast")).status == 200
    assert client.app[ADMISSION].in_flight == 0


async def test_a_read_past_its_callers_deadline_is_stopped_with_504(
    client: Client, gate: Gate
) -> None:
    started = time.perf_counter()
    response = await client.get("/slow", headers={TIMEOUT_HEADER: "200"})
    assert response.status == 504
    assert response.content_type == PROBLEM
    assert time.perf_counter() - started < 2.0
    assert gate.cancelled == 1
    assert client.app[ADMISSION].in_flight == 0


async def test_a_started_write_is_never_cut_by_the_deadline(client: Client, gate: Gate) -> None:
    write = asyncio.create_task(client.post("/slow", headers={TIMEOUT_HEADER: "50"}))
    await _until(lambda: gate.entered == 1)
    # A read with the same deadline, sent later, is stopped: the write's deadline has passed
    # too, and it is still running.
    stopped = await client.get("/slow", headers={TIMEOUT_HEADER: "50"})
    assert stopped.status == 504
    assert not write.done()
    assert gate.cancelled == 1  # the read only
    gate.release.set()
    assert (await write).status == 200
    assert (gate.finished, gate.cancelled) == (1, 1)


async def test_a_request_whose_caller_gave_up_already_is_not_started(
    client: Client, gate: Gate
) -> None:
    response = await client.post("/slow", headers={TIMEOUT_HEADER: "0"})
    assert response.status == 504
    assert gate.entered == 0


@pytest.mark.parametrize("value", ["", "-5", "soon", "１２", "99999999999999"])
async def test_a_malformed_deadline_is_ignored(client: Client, value: str) -> None:
    response = await client.get("/fast", headers={TIMEOUT_HEADER: value})
    assert response.status == 200
