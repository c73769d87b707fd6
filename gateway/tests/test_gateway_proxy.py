"""Forwarding: the right service gets the request intact, bodies stream both ways, hop-by-hop
headers stay behind, and a broken or slow service is a quick problem+json answer."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from gateway.tests.conftest import Harness, HarnessFactory
from hintro_gateway.routing import ROUTES

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def concrete(pattern: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-x1", pattern)


async def test_every_routing_table_entry_reaches_its_service(gw: Harness) -> None:
    for route in ROUTES:
        response = await gw.client.request(route.method, concrete(route.pattern), headers=gw.auth())
        assert response.status == 200, (route, await response.text())
        assert response.headers["X-Served-By"] == route.service, route


async def test_request_arrives_with_path_query_body_and_headers_intact(gw: Harness) -> None:
    body = json.dumps({"title": "Fix login ✓", "labels": ["a b"]}).encode()
    response = await gw.client.post(
        "/api/boards/b%2F1/tasks?listId=l%201&limit=5&x=%C3%A9",
        data=body,
        headers={
            **gw.auth("ada"),
            "Content-Type": "application/json",
            "If-Match": '"7"',
            "X-Socket-Id": "sid-1",
            "X-Custom": "kept",
        },
    )
    assert response.status == 200
    assert response.headers["X-Served-By"] == "task"
    seen = gw.services["task"].seen[-1]
    assert seen.method == "POST"
    assert seen.path_qs == "/api/boards/b%2F1/tasks?listId=l%201&limit=5&x=%C3%A9"
    assert seen.body == body
    assert seen.header("content-type") == "application/json"
    assert seen.header("if-match") == '"7"'
    assert seen.header("x-socket-id") == "sid-1"
    assert seen.header("x-custom") == "kept"
    assert seen.header("x-user-id") == "ada"
    assert (seen.header("authorization") or "").startswith("Bearer ")
    assert seen.header("x-request-id") == response.headers["X-Request-Id"]


async def test_request_id_is_generated_or_kept_and_forwarded(gw: Harness) -> None:
    generated = await gw.client.get("/api/boards", headers=gw.auth())
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-Id"])
    kept = await gw.client.get("/api/boards", headers={**gw.auth(), "X-Request-Id": "req-42"})
    assert kept.headers["X-Request-Id"] == "req-42"
    assert gw.services["board"].seen[-1].header("x-request-id") == "req-42"


@pytest.mark.parametrize(
    "unsafe",
    ["a b", "x" * 129, "caf\u00e9".encode().decode("latin-1"), "id;drop", '{"json":1}', "a/../b"],
)
async def test_an_unsafe_request_id_is_replaced_before_it_reaches_a_service(
    gw: Harness, unsafe: str
) -> None:
    response = await gw.client.get("/api/boards", headers={**gw.auth(), "X-Request-Id": unsafe})
    assert response.status == 200
    replaced = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    assert gw.services["board"].seen[-1].header("x-request-id") == replaced


async def test_client_cannot_spoof_the_user_id(gw: Harness) -> None:
    await gw.client.get("/api/auth/me", headers={**gw.auth("real-user"), "X-User-Id": "admin"})
    assert gw.services["auth"].seen[-1].headers["x-user-id"] == ["real-user"]
    # On a public route nobody is authenticated: no user id at all reaches the service.
    await gw.client.post(
        "/api/auth/refresh", json={"refreshToken": "r"}, headers={"X-User-Id": "admin"}
    )
    assert "x-user-id" not in gw.services["auth"].seen[-1].headers


async def test_hop_by_hop_headers_are_stripped_both_ways(make_gateway: HarnessFactory) -> None:
    async def hoppy(request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True},
            headers={
                "Keep-Alive": "timeout=5",
                "Proxy-Authenticate": "Basic",
                "Connection": "X-Up-Hop",
                "X-Up-Hop": "secret",
                "X-End-To-End": "kept",
            },
        )

    harness = await make_gateway(
        customize={"board": lambda app: app.router.add_get("/api/boards/h", hoppy)}
    )
    await harness.client.get(
        "/api/boards",
        headers={
            **harness.auth(),
            "Connection": "keep-alive, X-Down-Hop",
            "X-Down-Hop": "secret",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Proxy-Authorization": "Basic eDp5",
            "Upgrade": "h2c",
        },
    )
    seen = harness.services["board"].seen[-1]
    for name in ("x-down-hop", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert name not in seen.headers, name
    response = await harness.client.get("/api/boards/h", headers=harness.auth())
    assert response.status == 200
    assert response.headers["X-End-To-End"] == "kept"
    for name in ("X-Up-Hop", "Keep-Alive", "Proxy-Authenticate"):
        assert name not in response.headers, name


async def test_large_response_is_streamed_not_buffered(make_gateway: HarnessFactory) -> None:
    chunk = b"x" * (256 * 1024)
    client_got_first_chunk = asyncio.Event()

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        await response.write(chunk)
        # The rest is only sent once the client holds the first part: a buffering gateway
        # would never pass it on, and the test would time out.
        await asyncio.wait_for(client_got_first_chunk.wait(), 10)
        for _ in range(15):
            await response.write(chunk)
        await response.write_eof()
        return response

    harness = await make_gateway(
        customize={"task": lambda app: app.router.add_get("/api/tasks/big", big)}
    )
    response = await harness.client.get("/api/tasks/big", headers=harness.auth())
    assert response.status == 200
    first = await response.content.readexactly(len(chunk))
    client_got_first_chunk.set()
    rest = await response.content.read()
    assert len(first) + len(rest) == 16 * len(chunk)


async def test_request_body_is_streamed_to_the_service(make_gateway: HarnessFactory) -> None:
    part = b"y" * (128 * 1024)
    service_got_first_part = asyncio.Event()
    received: list[int] = []

    async def upload(request: web.Request) -> web.Response:
        total = len(await request.content.readexactly(len(part)))
        service_got_first_part.set()
        total += len(await request.content.read())
        received.append(total)
        return web.json_response({"bytes": total})

    async def body() -> AsyncIterator[bytes]:
        yield part
        await asyncio.wait_for(service_got_first_part.wait(), 10)
        yield part * 3

    harness = await make_gateway(
        customize={"board": lambda app: app.router.add_post("/api/boards/u1/lists", upload)}
    )
    response = await harness.client.post(
        "/api/boards/u1/lists",
        data=body(),
        headers={**harness.auth(), "Content-Length": str(4 * len(part))},
    )
    assert response.status == 200
    assert received == [4 * len(part)]


async def test_body_over_one_mebibyte_is_413_before_reaching_a_service(gw: Harness) -> None:
    big = b"{" + b" " * (1024 * 1024) + b"}"
    for path in ("/api/boards", "/api/auth/login"):
        response = await gw.client.post(
            path, data=big, headers={**gw.auth(), "Content-Type": "application/json"}
        )
        assert response.status == 413, path
        assert response.content_type == PROBLEM
    assert gw.services["board"].seen == []
    assert gw.services["auth"].seen == []


async def test_unknown_api_path_is_404_problem(gw: Harness) -> None:
    response = await gw.client.get("/api/nothing/here", headers=gw.auth())
    assert response.status == 404
    assert response.content_type == PROBLEM
    assert (await response.json())["status"] == 404
    wrong_method = await gw.client.put("/api/boards", headers=gw.auth())
    assert wrong_method.status == 405
    assert wrong_method.content_type == PROBLEM


async def test_origin_is_vouched_for_only_when_own_or_listed(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(cors_origins=("https://app.example", "*"))
    own = f"http://{harness.client.host}:{harness.client.port}"
    cases = [
        ({"Origin": own}, True),
        ({"Origin": "https://app.example"}, True),
        ({"Origin": "https://app.example/"}, True),
        ({"Origin": "https://evil.example"}, False),  # "*" allows CORS reads, never cookies
        ({}, False),
        ({"Origin": "https://evil.example", "X-Origin-Trusted": "1"}, False),  # not from clients
    ]
    for headers, trusted in cases:
        await harness.client.post("/api/auth/refresh", json={}, headers=headers)
        seen = harness.services["auth"].seen[-1].headers
        assert (seen.get("x-origin-trusted") == ["1"]) is trusted, headers


async def test_cookies_pass_both_ways_on_auth_routes(make_gateway: HarnessFactory) -> None:
    async def refresh(request: web.Request) -> web.Response:
        response = web.json_response({"got": request.cookies.get("hintro_refresh")})
        response.headers["Set-Cookie"] = "hintro_refresh=new; HttpOnly; Path=/api/auth"
        return response

    harness = await make_gateway(
        customize={"auth": lambda app: app.router.add_post("/api/auth/refresh", refresh)}
    )
    response = await harness.client.post(
        "/api/auth/refresh", json={}, headers={"Cookie": "hintro_refresh=old"}
    )
    assert await response.json() == {"got": "old"}
    assert response.headers["Set-Cookie"] == "hintro_refresh=new; HttpOnly; Path=/api/auth"
