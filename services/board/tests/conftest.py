"""Fixtures of the board service's integration tests: a real app on nx-27017, RabbitMQ and
Redis, with a unique database, exchange, queue and cache prefix per test module, and access
tokens signed by a test key the app trusts (``StaticKeySource``)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient

from hintro_board.app import create_app
from hintro_board.config import Settings
from hintro_shared.events.catalogue import UserRegistered
from hintro_shared.events.consumer import DEFAULT_RETRY_DELAYS
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.publisher import EventPublisher
from hintro_testkit.events import Probe, delete_event_objects, open_probe
from hintro_testkit.infra import isolated_settings, unique, wait_for
from hintro_testkit.tokens import TokenMint

KID = "board-test-key"
Client = TestClient[web.Request, web.Application]


class Harness:
    """One running board app plus what its tests need around it."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        mint: TokenMint,
        connection: AbstractRobustConnection,
    ) -> None:
        self.client = client
        self.settings = settings
        self.mint = mint
        self.connection = connection
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo_url, tz_aware=True
        )
        self.db = self.mongo[settings.database_name]
        self._publisher: EventPublisher | None = None

    def token(self, user_id: str) -> str:
        """A valid access token for ``user_id``."""
        return self.mint.token(user_id)

    def auth(self, user_id: str, **extra: str) -> dict[str, str]:
        """Headers of a request by ``user_id``."""
        return self.mint.auth(user_id, **extra)

    async def publish(self, envelope: EventEnvelope) -> None:
        """Publish an event on the app's exchange (as another service would)."""
        if self._publisher is None:
            self._publisher = EventPublisher(
                self.connection, exchange=self.settings.events_exchange, watch_unrouted=False
            )
            await self._publisher.start()
        await self._publisher.publish(envelope, within=10)

    async def register(self, name: str = "User", user_id: str | None = None) -> tuple[str, str]:
        """A user known to the board service through ``user.registered``: (id, email)."""
        user_id = user_id or uuid.uuid4().hex
        email = f"{unique(name.lower())}@Example.com"
        data = UserRegistered(user_id=user_id, email=email.lower(), name=name)
        await self.publish(new_event("user.registered", source="hintro/auth", data=data))

        async def known() -> bool:
            return await self.db["users"].find_one({"_id": user_id}) is not None

        await wait_for(known, what=f"user {user_id} in the board service's projection")
        return user_id, email

    async def create_board(self, owner: str, title: str = "Board", **body: Any) -> dict[str, Any]:
        """A new board owned by ``owner``."""
        response = await self.client.post(
            "/api/boards", json={"title": title, **body}, headers=self.auth(owner)
        )
        assert response.status == 201, await response.text()
        board: dict[str, Any] = await response.json()
        return board

    async def add_member(self, board_id: str, owner: str, user_id: str, role: str) -> None:
        """Make ``user_id`` a member with ``role`` (registering them first if needed)."""
        if await self.db["users"].find_one({"_id": user_id}) is None:
            await self.register(user_id=user_id)
        response = await self.client.post(
            f"/api/boards/{board_id}/members",
            json={"userId": user_id, "role": role},
            headers=self.auth(owner),
        )
        assert response.status == 201, await response.text()

    async def create_list(
        self, board_id: str, user_id: str, title: str, **anchors: str
    ) -> dict[str, Any]:
        """A new list on the board."""
        response = await self.client.post(
            f"/api/boards/{board_id}/lists",
            json={"title": title, **anchors},
            headers=self.auth(user_id),
        )
        assert response.status == 201, await response.text()
        created: dict[str, Any] = await response.json()
        return created

    async def archive(self, path: str, user_id: str) -> dict[str, Any]:
        """``POST <path>/archive`` (a board's or a list's path) that must succeed."""
        response = await self.client.post(f"{path}/archive", headers=self.auth(user_id))
        assert response.status == 200, await response.text()
        archived: dict[str, Any] = await response.json()
        return archived

    async def get_board(self, board_id: str, user_id: str) -> dict[str, Any]:
        """``GET /api/boards/{boardId}`` that must succeed."""
        response = await self.client.get(f"/api/boards/{board_id}", headers=self.auth(user_id))
        assert response.status == 200, await response.text()
        board: dict[str, Any] = await response.json()
        return board

    @asynccontextmanager
    async def probe(self, *routing_keys: str) -> AsyncIterator[Probe]:
        """A temporary queue bound to the app's exchange, deleted afterwards."""
        name = unique("board_probe")
        async with self.connection.channel() as channel:
            yield await open_probe(
                channel, self.settings.events_exchange, name, routing_keys or ("#",)
            )
        await delete_event_objects(self.connection, queues=[name])

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()
        await self.mongo.drop_database(self.settings.database_name)
        await self.mongo.close()


def board_settings(**overrides: Any) -> Settings:
    """Settings isolated from every other test module."""
    values: dict[str, Any] = {
        **isolated_settings("board"),
        "consumer_queue": unique("board_queue"),
        "board_cache_prefix": unique("board_cache") + ":",
        "startup_timeout_seconds": 10,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def token_mint() -> TokenMint:
    """Signs tokens with the issuer and audience the board apps expect."""
    expected = board_settings()
    return TokenMint(KID, issuer=expected.jwt_issuer, audience=expected.jwt_audience)


@asynccontextmanager
async def running_board(mint: TokenMint, **overrides: Any) -> AsyncIterator[Harness]:
    """A board app on its own database/exchange/queue/cache prefix, torn down afterwards."""
    settings = board_settings(**overrides)
    app = create_app(settings, token_keys=mint.key_source())
    connection = await aio_pika.connect_robust(settings.rabbitmq_url)
    try:
        async with TestClient(TestServer(app)) as client:
            harness = Harness(client, settings, mint, connection)
            try:
                yield harness
            finally:
                await harness.close()
    finally:
        await delete_event_objects(
            connection,
            exchange=settings.events_exchange,
            consumer_queues=[settings.consumer_queue],
            retry_delays=DEFAULT_RETRY_DELAYS,
        )
        await connection.close()


HarnessFactory = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture(scope="module")
def start_board(token_mint: TokenMint) -> HarnessFactory:
    """Start another board app with settings overrides: ``async with start_board(...) as h``."""
    return functools.partial(running_board, token_mint)


@pytest.fixture(scope="module")
async def board(token_mint: TokenMint) -> AsyncIterator[Harness]:
    """The module's board app (integration: real Mongo wire server, RabbitMQ, Redis)."""
    async with running_board(token_mint) as harness:
        yield harness
