"""Reliability properties 4 and 5 of the architecture brief, on real processes:

- a service whose MongoDB goes away answers 503 problem+json at once (never a hang), reports
  not-ready, and serves again when the database is back, without a restart;
- SIGTERM drains: a request in flight when the signal arrives still gets its answer, and the
  process then exits cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hintro_devtools.mongo import ensure_mongo
from hintro_devtools.ports import free_port
from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_testkit.infra import unique, wait_for

ROOT = Path(__file__).resolve().parents[1]
# Generous: the point is "answers rather than hangs" (pymongo's default would wait 30 s).
ANSWER_BOUND_SECONDS = 8.0


async def read_thing(request: web.Request) -> web.Response:
    doc = await request.app[MONGO_DB].things.find_one({"_id": "x"})
    return web.json_response({"found": doc is not None})


async def test_mongo_outage_is_a_fast_503_and_the_service_recovers_without_restart(
    tmp_path: Path,
) -> None:
    port, data_dir = free_port(), tmp_path / "nx"
    mongo = ensure_mongo(None, port=port, data_dir=data_dir)
    settings = ServiceSettings(
        service_name="resilience", environment="test", mongo_url=mongo.url, mongo_db=unique("r")
    )
    app = create_base_app(settings)
    app.cleanup_ctx.append(mongo_ctx(settings))
    app.router.add_get("/things", read_thing)
    try:
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/things")).status == 200

            mongo.stop()
            started = time.monotonic()
            down = await client.get("/things")
            assert time.monotonic() - started < ANSWER_BOUND_SECONDS
            assert down.status == 503
            assert down.content_type == "application/problem+json"
            assert "Traceback" not in await down.text()
            not_ready = await client.get("/readyz")
            assert not_ready.status == 503
            assert (await not_ready.json())["checks"]["mongodb"].startswith("unavailable")

            mongo = ensure_mongo(None, port=port, data_dir=data_dir)

            async def serving_again() -> bool:
                return (await client.get("/things")).status == 200

            await wait_for(serving_again, within=30, what="reads after MongoDB came back")
            assert (await client.get("/readyz")).status == 200
    finally:
        mongo.stop()


@pytest.fixture
async def slow_service() -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "ENVIRONMENT": "test",
        "SLOW_SECONDS": "1.5",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.resilience_app",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _line_containing(process: asyncio.subprocess.Process, text: str) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
        if not line:
            raise AssertionError(f"process ended before logging {text!r}")
        if text in line:
            return line


async def test_sigterm_lets_the_request_in_flight_finish_then_exits_cleanly(
    slow_service: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, url = slow_service
    async with aiohttp.ClientSession() as session:

        async def ready() -> bool:
            async with session.get(f"{url}/readyz") as response:
                return response.status == 200

        await wait_for(ready, within=20, what="the service to get ready")
        in_flight = asyncio.create_task(session.get(f"{url}/slow"))
        await _line_containing(process, "slow request started")
        process.send_signal(signal.SIGTERM)
        response = await in_flight
        assert response.status == 200
        assert await response.json() == {"finished": True}
        response.release()
    assert await asyncio.wait_for(process.wait(), 15) == 0
