"""error_middleware: a service's own refusal raised by a handler becomes the problem it maps to,
rendered as problem+json by the shared base; other errors pass through untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app
from hintro_shared.problems import Problem, error_middleware


class RuleBroken(Exception):
    pass


async def refuse(_: web.Request) -> web.Response:
    raise RuleBroken("title too long")


async def crash(_: web.Request) -> web.Response:
    raise KeyError("unrelated")


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    middleware = error_middleware(RuleBroken, lambda exc: Problem(422, str(exc)))
    settings = ServiceSettings(service_name="errortest", environment="test")
    app = create_base_app(settings, extra_middlewares=(middleware,))
    app.router.add_get("/refuse", refuse)
    app.router.add_get("/crash", crash)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_a_mapped_error_becomes_its_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/refuse")
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert (await response.json())["detail"] == "title too long"


async def test_other_errors_stay_internal_errors(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/crash")
    assert response.status == 500
    assert response.content_type == "application/problem+json"
