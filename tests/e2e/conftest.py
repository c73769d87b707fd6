"""End-to-end fixtures: the whole stack, started once per test session, on free ports.

Every test in this directory is marked ``e2e``. The stack runs beside a ``make run`` stack without
clashing: free ports, fresh databases (``MONGO_DB=hintro_<service>_e2e_<random>``), its own
rate-limit keys in Redis and a throwaway signing key. Infrastructure comes from the environment
``make test`` exports (``MONGO_URL``, ``RABBITMQ_URL``, ``REDIS_URL``); run directly with pytest,
the test profile's embedded MongoDB is started (port 27117, or a free port when that is taken).
The services' output goes to ``.run/e2e/stack.log``; a service that fails to start is named in
the error with its last lines.

Use::

    async def test_something(stack: Stack, http: aiohttp.ClientSession) -> None:
        async with http.post("/api/auth/register", json=...) as response:   # via the gateway
            ...
        stack.url("auth")        # a service directly, e.g. for its /readyz
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from hintro_devtools.workspace import repo_root

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as ``e2e`` (``-m "not e2e"`` skips them)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Every runnable service, ready; attributes: ``gateway_url``, ``urls`` (instance name ->
    base URL), ``url(name)``, ``mongo_db(service)``, ``infra_env``, ``running``."""
    run_id = f"e2e_{uuid.uuid4().hex[:10]}"
    key_file = tmp_path_factory.mktemp("keys") / "jwt-signing.pem"
    async with Stack(
        profile="test",
        free_ports=True,
        require=("gateway", "auth"),
        mongo_db_suffix=run_id,
        # The broker and Redis are shared with any other stack on this machine (`make run`, a
        # parallel e2e run): with the default names, two board services would share the
        # "board.service" queue and each get only half of the user.registered events. So this
        # run gets its own exchange, queues, cache keys and pub/sub channel.
        env={
            "EVENTS_EXCHANGE": f"hintro.events.{run_id}",
            "CONSUMER_QUEUE": f"board.service.{run_id}",
            "PROJECTION_QUEUE": f"task.projection.{run_id}",
            "ACTIVITY_QUEUE": f"activity.log.{run_id}",
            "PUSH_QUEUE": f"realtime.push.{run_id}",
            "BOARD_CACHE_PREFIX": f"hintro:board:{run_id}:",
            "REDIS_PREFIX": f"hintro:realtime:{run_id}:",
            "SOCKETIO_CHANNEL": f"hintro.realtime.socketio.{run_id}",
        },
        service_env={
            "auth": {"JWT_KEY_FILE": str(key_file)},
            # Rate-limit state lives in the shared Redis: not shared with other runs.
            # Every e2e client comes from 127.0.0.1, so the per-IP login/register budget would
            # be shared by all test users; the per-email limit (what the 429 test hammers)
            # stays at its default.
            "gateway": {
                "RATE_LIMIT_PREFIX": f"hintro:rl:{run_id}:",
                "RATE_LIMIT_AUTH_IP": "10000/60",
                # The board e2e tests make over a thousand requests a minute as one user (the
                # role matrix builds a fresh board for each of its ~90 cases); 600/60 per user
                # would throttle the suite itself, not the behaviour under test.
                "RATE_LIMIT_DEFAULT": "100000/60",
            },
        },
        echo=False,
        log_path=repo_root() / ".run" / "e2e" / "stack.log",
    ) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def http(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session whose relative URLs go to the gateway (absolute URLs go anywhere)."""
    async with aiohttp.ClientSession(base_url=f"{stack.gateway_url}/") as session:
        yield session
