"""What the gateway adds at the edge: gzip for large JSON, CORS, and client addresses that
cannot be spoofed."""

from __future__ import annotations

import asyncio
import gzip
import json
import re

import pytest
from aiohttp import web

from gateway.tests.conftest import HarnessFactory

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def concrete(pattern: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-x1", pattern)


async def test_large_json_is_gzipped_for_clients_that_accept_it(
    make_gateway: HarnessFactory,
) -> None:
    items = [{"id": f"t{i}", "title": "A task title " * 3} for i in range(200)]
    small = {"id": "t1"}

    async def many(_: web.Request) -> web.Response:
        return web.json_response({"items": items})

    async def few(_: web.Request) -> web.Response:
        return web.json_response(small)

    async def huge(request: web.Request) -> web.StreamResponse:
        # Streamed (no Content-Length) and bigger than the buffering limit.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(json.dumps({"items": items * 20}).encode())
        await response.write_eof()
        return response

    def routes(app: web.Application) -> None:
        app.router.add_get("/api/boards/b1/tasks", many)
        app.router.add_get("/api/tasks/t1", few)
        app.router.add_get("/api/boards/b2/tasks", huge)

    harness = await make_gateway(customize={"task": routes})
    token = harness.auth()["Authorization"]
    for path, expected in (
        ("/api/boards/b1/tasks", {"items": items}),
        ("/api/boards/b2/tasks", {"items": items * 20}),
    ):
        response = await harness.client.get(
            path,
            headers={"Authorization": token, "Accept-Encoding": "gzip, deflate"},
            auto_decompress=False,
        )
        assert response.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in response.headers.getall("Vary")
        assert json.loads(gzip.decompress(await response.read())) == expected

    small_response = await harness.client.get(
        "/api/tasks/t1", headers={"Authorization": token, "Accept-Encoding": "gzip"}
    )
    assert "Content-Encoding" not in small_response.headers
    plain = await harness.client.get(
        "/api/boards/b1/tasks", headers={"Authorization": token, "Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers
    assert await plain.json() == {"items": items}


async def test_a_body_the_service_compressed_passes_through_untouched(
    make_gateway: HarnessFactory,
) -> None:
    body = json.dumps({"items": [{"id": f"t{i}", "title": "T" * 40} for i in range(3000)]})
    stored = gzip.compress(body.encode(), mtime=0)  # bigger than the buffering limit too
    asked: list[str] = []

    async def precompressed(request: web.Request) -> web.Response:
        asked.append(request.headers.get("Accept-Encoding", ""))
        if request.headers.get("Accept-Encoding") == "gzip":
            return web.Response(
                body=stored,
                content_type="application/json",
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return web.Response(text=body, content_type="application/json")

    def routes(app: web.Application) -> None:
        app.router.add_get("/api/boards/b1/tasks", precompressed)

    harness = await make_gateway(customize={"task": routes})
    token = harness.auth()["Authorization"]
    zipped = await harness.client.get(
        "/api/boards/b1/tasks",
        headers={"Authorization": token, "Accept-Encoding": "br;q=1, gzip;q=0.8"},
        auto_decompress=False,
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert await zipped.read() == stored  # the very bytes: not compressed again, not inflated
    plain = await harness.client.get(
        "/api/boards/b1/tasks",
        headers={"Authorization": token, "Accept-Encoding": "identity"},
        auto_decompress=False,
    )
    assert "Content-Encoding" not in plain.headers
    assert await plain.text() == body
    # The service is told gzip only when the client takes it, never the client's own list.
    assert asked == ["gzip", "identity"]


async def test_cors_preflight_is_answered_by_the_gateway(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(cors_origins="https://app.hintro.dev, https://admin.hintro.dev")
    preflight = await harness.client.options(
        "/api/boards/b1",
        headers={
            "Origin": "https://app.hintro.dev",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.hintro.dev"
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert harness.services["board"].seen == []

    refused = await harness.client.options(
        "/api/boards",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers

    actual = await harness.client.get(
        "/api/boards", headers={**harness.auth(), "Origin": "https://admin.hintro.dev"}
    )
    assert actual.headers["Access-Control-Allow-Origin"] == "https://admin.hintro.dev"
    assert "RateLimit" in actual.headers["Access-Control-Expose-Headers"]
    # Errors carry CORS headers too, or a browser could not read them.
    unauthorized = await harness.client.get(
        "/api/boards", headers={"Origin": "https://admin.hintro.dev"}
    )
    assert unauthorized.status == 401
    assert unauthorized.headers["Access-Control-Allow-Origin"] == "https://admin.hintro.dev"


async def test_cors_credentials_with_wildcard_are_refused() -> None:
    from pydantic import ValidationError

    from hintro_gateway.config import GatewaySettings

    with pytest.raises(ValidationError, match="CORS_ALLOW_CREDENTIALS"):
        GatewaySettings(cors_origins="*", cors_allow_credentials=True)


async def test_forwarded_for_is_ignored_unless_the_peer_is_trusted(
    make_gateway: HarnessFactory,
) -> None:
    untrusting = await make_gateway()
    await untrusting.client.get(
        "/api/boards", headers={**untrusting.auth(), "X-Forwarded-For": "6.6.6.6"}
    )
    assert untrusting.services["board"].seen[-1].header("x-forwarded-for") == "127.0.0.1"

    trusting = await make_gateway(trusted_proxies="127.0.0.0/8")
    await trusting.client.get(
        "/api/boards", headers={**trusting.auth(), "X-Forwarded-For": "203.0.113.9"}
    )
    assert trusting.services["board"].seen[-1].header("x-forwarded-for") == "203.0.113.9, 127.0.0.1"


async def _raw_exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        return head
    finally:
        writer.close()


@pytest.mark.parametrize(
    "target",
    [b"http://x/api/boards", b"http://127.0.0.1:1/api/boards?x=1", b"//x/api/boards"],
)
async def test_an_absolute_form_request_target_is_400(
    make_gateway: HarnessFactory, target: bytes
) -> None:
    harness = await make_gateway()
    token = harness.auth()["Authorization"].encode()
    assert harness.client.server.port is not None
    head = await _raw_exchange(
        harness.client.server.port,
        b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " + token + b"\r\n\r\n",
    )
    status_line = head.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), head
    assert harness.services["board"].seen == []
