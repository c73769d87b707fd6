"""The activity service's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: MongoDB, RabbitMQ, the token verifier, the
board service client, then the log (indexes; history pages read through ``MONGO_READ_DB``),
the outbox relay with its publisher, the claim healer, the use cases and the event consumer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_activity.config import Settings
from hintro_activity.consumers import ROUTING_KEYS, ActivityEvents
from hintro_activity.healer import ClaimHealer
from hintro_activity.names import NameDirectory
from hintro_activity.repository import ENTRIES, ActivityLog
from hintro_activity.routes import ACTIVITY_SERVICE, OPERATIONS
from hintro_activity.service import ActivityService
from hintro_shared.boardview import (
    BOARD_CLIENT,
    BoardClient,
    BoardProjection,
    BoardReaders,
    board_client_ctx,
)
from hintro_shared.boardview.reconcile import ProjectionReconciler, start_reconciler
from hintro_shared.events.consumer import EventConsumer
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, MONGO_READ_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.tokens import KeySource, token_verifier_ctx

Ctx = Callable[[web.Application], AsyncIterator[None]]

ACTIVITY_LOG = web.AppKey("hintro.activity.log", ActivityLog)
EVENT_CONSUMER = web.AppKey("hintro.activity.consumer", EventConsumer)
RECONCILER = web.AppKey("hintro.activity.reconciler", ProjectionReconciler)


def _activity_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            # Fast path: an entry's activity.recorded leaves right after its insert; the sweeper
            # publishes whatever a crash left behind. History pages read through MONGO_READ_DB
            # (MONGO_READ_PREFERENCE, may be a secondary); everything else stays on the primary.
            log = ActivityLog(db, read_db=app[MONGO_READ_DB], outbox=events.outbox(db[ENTRIES]))
            names, board_view = NameDirectory(db), BoardProjection(db)
            for store in (log, names, board_view):
                await store.create_indexes()
            await events.start_relay(log.entries)
            healer = ClaimHealer(
                log, interval=settings.claim_sweep_seconds, grace=settings.claim_grace_seconds
            )
            healer.start()
            events.on_close(healer.stop)  # after the consumer, before the relay
            service = ActivityService(log, names, BoardReaders(board_view, app[BOARD_CLIENT]))
            app[ACTIVITY_LOG] = log
            app[ACTIVITY_SERVICE] = service
            reconciler = start_reconciler(settings, board_view, app[BOARD_CLIENT])
            if reconciler is not None:
                events.on_close(reconciler.stop)
                app[RECONCILER] = reconciler
            app[EVENT_CONSUMER] = await events.consume(
                queue=settings.activity_queue,
                routing_keys=ROUTING_KEYS,
                handler=ActivityEvents(service, log, board_view, names),
                prefetch=settings.consumer_prefetch,
            )
            yield

    return ctx


def create_app(
    settings: Settings,
    *,
    token_keys: KeySource | None = None,
    board_client: BoardClient | None = None,
) -> web.Application:
    """The activity service's application; ``token_keys`` replaces auth's JWKS and
    ``board_client`` the client of the board service (tests)."""
    app = create_base_app(settings)
    client = board_client or BoardClient(
        settings.board_url,
        settings.board_timeout_seconds,
        trust_seconds=settings.projection_trust_seconds,
    )
    app.cleanup_ctx.extend(
        [
            mongo_ctx(settings),
            rabbit_ctx(settings),
            token_verifier_ctx(settings, token_keys),
            board_client_ctx(client),
            _activity_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
