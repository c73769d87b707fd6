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

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from tests.e2e.stacks import isolated_stack

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as ``e2e`` (``-m "not e2e"`` skips them)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Every service, ready; attributes: ``gateway_url``, ``urls`` (instance name ->
    base URL), ``url(name)``, ``mongo_db(service)``, ``infra_env``, ``running``."""
    async with isolated_stack(tmp_path_factory.mktemp("keys"), name="stack") as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def http(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session whose relative URLs go to the gateway (absolute URLs go anywhere)."""
    async with aiohttp.ClientSession(base_url=f"{stack.gateway_url}/") as session:
        yield session
