"""The board service's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: MongoDB, Redis (optional: the read cache
degrades to MongoDB without it), RabbitMQ, the token verifier, the event publisher and outbox
relay, the repositories (indexes created here) and use cases, then the event consumer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_board.cache import BoardCache
from hintro_board.config import Settings
from hintro_board.consumers import ROUTING_KEYS, BoardEvents
from hintro_board.label_repository import MongoBoardLabels
from hintro_board.labels import LabelService
from hintro_board.list_repository import MongoLists
from hintro_board.lists import ListService
from hintro_board.repository import MongoBoards, MongoUsers
from hintro_board.routes import (
    BOARD_SERVICE,
    BOARD_SETTINGS,
    LABEL_SERVICE,
    LIST_SERVICE,
    OPERATIONS,
    PEOPLE_SERVICE,
    handle_board_states,
)
from hintro_board.service import BoardService, PeopleService
from hintro_shared.events.consumer import EventConsumer
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.events.relay import OutboxRelay
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.redis_conn import REDIS, redis_ctx
from hintro_shared.tokens import KeySource, token_verifier_ctx

Ctx = Callable[[web.Application], AsyncIterator[None]]

OUTBOX_RELAY = web.AppKey("hintro.board.outbox_relay", OutboxRelay)
EVENT_CONSUMER = web.AppKey("hintro.board.consumer", EventConsumer)
BOARD_CACHE = web.AppKey("hintro.board.cache", BoardCache)


def _service_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            app[OUTBOX_RELAY] = events.relay
            boards, lists, users = MongoBoards(db), MongoLists(db), MongoUsers(db)
            for repository in (boards, lists, users):
                await repository.create_indexes()
            await events.start_relay(boards.collection, lists.collection)
            cache = BoardCache(
                app[REDIS],
                prefix=settings.board_cache_prefix,
                ttl_seconds=settings.board_cache_ttl_seconds,
                generation_ttl_seconds=settings.board_cache_generation_ttl_seconds,
                retry_seconds=settings.board_cache_retry_seconds,
            )
            app[BOARD_CACHE] = cache
            app[BOARD_SERVICE] = BoardService(
                boards, lists, users, events.outbox(boards.collection), cache
            )
            app[LIST_SERVICE] = ListService(
                boards,
                lists,
                events.outbox(lists.collection),
                cache,
                position_retries=settings.position_retries,
            )
            labels = LabelService(
                boards, MongoBoardLabels(boards.collection), events.outbox(boards.collection), cache
            )
            app[LABEL_SERVICE] = labels
            people = PeopleService(boards, users, cache)
            app[PEOPLE_SERVICE] = people
            app[EVENT_CONSUMER] = await events.consume(
                queue=settings.consumer_queue,
                routing_keys=ROUTING_KEYS,
                handler=BoardEvents(people, lists, labels),
            )
            yield

    return ctx


def create_app(settings: Settings, *, token_keys: KeySource | None = None) -> web.Application:
    """The board service's application; ``token_keys`` replaces auth's JWKS (tests)."""
    app = create_base_app(settings)
    app[BOARD_SETTINGS] = settings
    app.cleanup_ctx.extend(
        [
            mongo_ctx(settings),
            redis_ctx(settings, required=False),
            rabbit_ctx(settings),
            token_verifier_ctx(settings, token_keys),
            _service_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    app.router.add_post("/internal/board-states", handle_board_states)
    return app
