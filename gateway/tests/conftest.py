"""The gateway under test, in front of tiny aiohttp servers that stand in for the services.

Each stand-in records what reached it and answers with a JSON echo, so a test can assert what
the gateway forwarded; tests add routes of their own for slow, broken or streaming services.
Tokens are signed with a test EC key whose JWKS the fake auth service publishes, so the gateway
verifies them exactly as in production.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hintro_gateway.app import create_app
from hintro_gateway.config import GatewaySettings
from hintro_gateway.routing import SERVICES
from hintro_testkit.infra import redis_url, unique
from hintro_testkit.tokens import TokenMint

JWKS_PATH = "/api/auth/.well-known/jwks.json"
Customize = Callable[[web.Application], None]
GatewayClient = TestClient[web.Request, web.Application]


@dataclass
class Seen:
    """One request as a stand-in service received it."""

    method: str
    path_qs: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass
class FakeService:
    """A stand-in service."""

    name: str
    server: TestServer
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


def new_signing_key() -> TokenMint:
    """A test signing key (fresh kid) whose JWKS the fake auth service publishes."""
    return TokenMint(kid=uuid.uuid4().hex[:16])


async def echo(request: web.Request) -> web.Response:
    """The stand-in's default answer: who it is and what it got."""
    service: FakeService = request.app[FAKE]
    body = await request.read()
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    service.seen.append(Seen(request.method, request.path_qs, headers, body))
    return web.json_response(
        {"service": service.name, "method": request.method, "pathQs": request.path_qs},
        headers={"X-Served-By": service.name},
    )


FAKE = web.AppKey("fake", FakeService)


async def start_fake(
    name: str, customize: Customize | None = None, jwks: Any = None
) -> FakeService:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    if jwks is not None:

        async def handle_jwks(_: web.Request) -> web.Response:
            return web.json_response(jwks, headers={"X-Served-By": "auth"})

        app.router.add_get(JWKS_PATH, handle_jwks)
    if customize is not None:
        customize(app)
    app.router.add_route("*", "/{tail:.*}", echo)
    server = TestServer(app, host="127.0.0.1")
    service = FakeService(name, server)
    app[FAKE] = service
    await server.start_server()
    return service


@dataclass
class Harness:
    """A running gateway, its stand-in services and a client for it."""

    client: GatewayClient
    services: dict[str, FakeService]
    key: TokenMint
    settings: GatewaySettings

    def auth(self, sub: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key.token(sub)}", "Accept-Encoding": "identity"}

    @property
    def app(self) -> web.Application:
        return self.client.app


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_gateway() -> AsyncIterator[HarnessFactory]:
    """Start a gateway: ``await make_gateway(customize={"board": fn}, rate_limit_default=...)``;
    keyword arguments are gateway settings (the services' URLs default to the stand-ins)."""
    started: list[GatewayClient] = []
    fakes: list[FakeService] = []

    async def factory(customize: dict[str, Customize] | None = None, **settings: Any) -> Harness:
        key = new_signing_key()
        services: dict[str, FakeService] = {}
        for name in SERVICES:
            if f"{name}_url" in settings and name != "auth":
                continue
            service = await start_fake(
                name, (customize or {}).get(name), key.jwks if name == "auth" else None
            )
            fakes.append(service)
            services[name] = service
        urls = {f"{name}_url": service.url for name, service in services.items()}
        config = GatewaySettings(
            **{
                "environment": "test",
                "redis_url": redis_url(),
                "rate_limit_prefix": unique("rl") + ":",
                **urls,
                **settings,
            }
        )
        client: GatewayClient = TestClient(TestServer(create_app(config), host="127.0.0.1"))
        await client.start_server()
        started.append(client)
        return Harness(client, services, key, config)

    yield factory
    for client in started:
        await client.close()
    for service in fakes:
        await service.server.close()


@pytest.fixture
async def gw(make_gateway: HarnessFactory) -> Harness:
    """A gateway with default settings."""
    return await make_gateway()
