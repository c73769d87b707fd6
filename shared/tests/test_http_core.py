"""The shared HTTP base every service stands on: problem+json for every failure, request ids,
metrics and readiness."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel, ConfigDict, Field

from hintro_shared.config import ServiceSettings
from hintro_shared.errors import DependencyUnavailable
from hintro_shared.health import HEALTH
from hintro_shared.http import REQUEST_ID_HEADER, create_base_app
from hintro_shared.problems import Problem, read_json


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=10)


async def create_thing(request: web.Request) -> web.Response:
    thing = await read_json(request, Thing)
    return web.json_response({"title": thing.title}, status=201)


async def explode(_: web.Request) -> web.Response:
    raise RuntimeError("secret internals /etc/passwd")


async def gone(_: web.Request) -> web.Response:
    raise Problem(404, "The board does not exist or you do not have access to it.")


async def dependency_down(_: web.Request) -> web.Response:
    raise DependencyUnavailable("mongo")


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = create_base_app(ServiceSettings(service_name="coretest", environment="test"))
    app.router.add_post("/things", create_thing)
    app.router.add_get("/explode", explode)
    app.router.add_get("/gone", gone)
    app.router.add_get("/down", dependency_down)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _is_problem(response_content_type: str) -> bool:
    return response_content_type == "application/problem+json"


async def test_valid_body_is_accepted(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post("/things", json={"title": "ok"})
    assert response.status == 201
    assert await response.json() == {"title": "ok"}


async def test_malformed_json_is_400_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.post(
        "/things", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert _is_problem(response.content_type)
    body = await response.json()
    assert body["status"] == 400
    assert set(body) >= {"type", "title", "status", "detail"}


async def test_wrong_content_type_is_400(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post("/things", data=b"title=x")
    assert response.status == 400
    assert _is_problem(response.content_type)


async def test_unknown_field_is_422_with_field_errors(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.post("/things", json={"title": "ok", "admin": True})
    assert response.status == 422
    body = await response.json()
    assert body["errors"][0]["loc"] == ["admin"]
    assert "msg" in body["errors"][0]


async def test_too_long_field_is_422_without_echoing_input(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.post("/things", json={"title": "x" * 50})
    assert response.status == 422
    assert "x" * 50 not in await response.text()


async def test_body_over_one_mebibyte_is_413(
    client: TestClient[web.Request, web.Application],
) -> None:
    big = b'{"title": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    response = await client.post("/things", data=big, headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert _is_problem(response.content_type)


async def test_unexpected_error_is_500_without_traceback(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/explode")
    assert response.status == 500
    text = await response.text()
    assert "Traceback" not in text
    assert "/etc/passwd" not in text
    assert _is_problem(response.content_type)


async def test_unknown_route_is_404_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/nope")
    assert response.status == 404
    assert _is_problem(response.content_type)


async def test_raised_problem_keeps_status_and_detail(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/gone")
    assert response.status == 404
    assert "does not exist" in (await response.json())["detail"]


async def test_dependency_down_is_503_with_retry_after(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/down")
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"


async def test_request_id_is_adopted_or_generated(
    client: TestClient[web.Request, web.Application],
) -> None:
    adopted = await client.get("/healthz", headers={REQUEST_ID_HEADER: "abc-123"})
    assert adopted.headers[REQUEST_ID_HEADER] == "abc-123"
    generated = await client.get("/healthz", headers={REQUEST_ID_HEADER: "bad id with spaces"})
    assert generated.headers[REQUEST_ID_HEADER] != "bad id with spaces"
    assert len(generated.headers[REQUEST_ID_HEADER]) == 32


async def test_metrics_count_requests_by_route_template(
    client: TestClient[web.Request, web.Application],
) -> None:
    await client.get("/gone")
    text = await (await client.get("/metrics")).text()
    sample = 'method="GET",route="/gone",service="coretest",status="404"'
    assert f"hintro_http_requests_total{{{sample}}}" in text


async def test_readiness_fails_when_a_required_dependency_fails(
    client: TestClient[web.Request, web.Application],
) -> None:
    async def broken() -> None:
        raise ConnectionError("down")

    async def fine() -> None:
        return None

    health = client.app[HEALTH]
    health.add("fine", fine)
    health.add("optional", broken, required=False)
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"] == {"fine": "ok", "optional": "degraded: ConnectionError"}

    health.add("broken", broken)
    not_ready = await client.get("/readyz")
    assert not_ready.status == 503
    assert (await not_ready.json())["checks"]["broken"] == "unavailable: ConnectionError"


async def test_draining_process_is_not_ready(
    client: TestClient[web.Request, web.Application],
) -> None:
    client.app[HEALTH].draining = True
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["process"] == "draining"
    assert (await client.get("/healthz")).status == 200


def test_request_ids_are_32_hex_digits_unique_and_differ_after_a_fork() -> None:
    import os
    import re

    from hintro_shared.http import new_request_id

    ids = [new_request_id() for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", item) for item in ids)
    assert len(set(ids)) == len(ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its ids must not repeat the parent's
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert child[:16] != ids[-1][:16]
    assert child not in ids
