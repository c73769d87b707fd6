"""The web app through a real stack: the supervisor hands WEB_DIST_DIR to the gateway process,
which serves the build at / beside the API on the same origin."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from tests.e2e.stacks import isolated_stack

INDEX = b'<!doctype html><title>Hintro</title><script type="module" src="/assets/app-9f.js">'
SCRIPT = b"export const hintro = 'board';\n" * 100


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app-9f.js").write_bytes(SCRIPT)
    (dist / "assets" / "app-9f.js.gz").write_bytes(gzip.compress(SCRIPT))
    async with isolated_stack(
        tmp_path_factory.mktemp("keys"), name="webapp", only=("gateway", "auth"), web_dist=dist
    ) as running:
        yield running


async def test_the_gateway_serves_the_app_beside_the_api(served: Stack) -> None:
    async with aiohttp.ClientSession(base_url=served.gateway_url + "/") as http:
        async with http.get("boards/b1/cards/c1") as page:
            assert page.status == 200
            assert await page.read() == INDEX
            assert page.headers["Cache-Control"] == "no-cache"
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        async with http.get("assets/app-9f.js", headers={"Accept-Encoding": "gzip"}) as script:
            assert script.headers["Content-Encoding"] == "gzip"
            assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert await script.read() == SCRIPT  # aiohttp decodes it
        async with http.get("api/boards") as api:
            assert api.status == 401  # the API, not the app
            assert api.headers["Content-Type"].startswith("application/problem+json")
        async with http.get("api/unknown") as unknown:
            assert unknown.status == 404
            assert unknown.headers["Content-Type"].startswith("application/problem+json")
