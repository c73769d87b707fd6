"""A service that keeps a board view, running for its tests: on a test server, with a stand-in
board service to ask, a publisher that plays the other services and a probe of what it
publishes (real MongoDB and RabbitMQ, fresh names each time)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.config import ServiceSettings
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.mongo import MONGO_DB
from hintro_testkit.boards import FakeBoardService, serving_board_service
from hintro_testkit.events import Probe, event_bus
from hintro_testkit.infra import rabbit_connection
from hintro_testkit.tokens import TokenMint

Client = TestClient[web.Request, web.Application]
AppFactory = Callable[[str], tuple[ServiceSettings, web.Application]]
"""Builds the service's settings and app given the stand-in board service's base URL."""


class ServiceHarness:
    """The running service plus the means to drive it; services subclass it with helpers."""

    def __init__(
        self,
        client: Client,
        board_service: FakeBoardService,
        publisher: EventPublisher,
        probe: Probe,
        mint: TokenMint,
    ) -> None:
        self.client = client
        self.board_service = board_service
        self.publisher = publisher
        self.probe = probe
        self._mint = mint

    @property
    def app(self) -> web.Application:
        return self.client.app

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        """The service's own database."""
        return self.app[MONGO_DB]

    @property
    def exchange(self) -> str:
        """The events exchange the service (and :attr:`publisher`) use."""
        return self.publisher.exchange_name

    def token(self, user_id: str) -> str:
        """A valid access token for ``user_id``."""
        return self._mint.token(user_id)

    def auth(self, user_id: str, **extra: str) -> dict[str, str]:
        """Headers of a request by ``user_id``."""
        return self._mint.auth(user_id, **extra)


@contextlib.asynccontextmanager
async def running_service(
    make_app: AppFactory, *, probe_keys: tuple[str, ...], consumer_queues: list[str]
) -> AsyncIterator[tuple[Client, FakeBoardService, EventPublisher, Probe]]:
    """The app ``make_app`` builds, served, with the stand-in board service and an event bus
    on the app's exchange (probe bound with ``probe_keys``); afterwards its database, exchange,
    probe and ``consumer_queues`` are deleted."""
    stand_in = serving_board_service()
    async with rabbit_connection() as rabbit, stand_in as (board_service, board_url):
        settings, app = make_app(board_url)
        bus = event_bus(
            rabbit,
            settings.events_exchange,
            probe_keys=probe_keys,
            consumer_queues=consumer_queues,
        )
        async with bus as (publisher, probe), TestClient(TestServer(app)) as client:
            try:
                yield client, board_service, publisher, probe
            finally:
                await app[MONGO_DB].client.drop_database(settings.database_name)
