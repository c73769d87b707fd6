"""The webhook service's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: MongoDB, RabbitMQ, the token verifier, the
board service client, the HTTP sender of deliveries, then the stores (indexes), the outbox
relay with its publisher, the use cases, the event consumer, and the dispatcher loop, which
stops first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_shared.boardview import (
    BOARD_CLIENT,
    BoardClient,
    BoardProjection,
    BoardReaders,
    board_client_ctx,
)
from hintro_shared.boardview.reconcile import ProjectionReconciler, start_reconciler
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.periodic import Periodic
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_shared.tokens import KeySource, token_verifier_ctx
from hintro_webhook.config import Settings
from hintro_webhook.consumers import ROUTING_KEYS, WebhookEvents
from hintro_webhook.dispatcher import Dispatcher
from hintro_webhook.domain import RetryPolicy, UrlRules
from hintro_webhook.guard import parse_networks
from hintro_webhook.repository import Deliveries, Endpoints
from hintro_webhook.routes import OPERATIONS, WEBHOOK_SERVICE
from hintro_webhook.sender import Resolve, Sender, SenderLimits, system_resolve
from hintro_webhook.service import WebhookService

Ctx = Callable[[web.Application], AsyncIterator[None]]

SENDER = web.AppKey("hintro.webhook.sender", Sender)
DISPATCHER = web.AppKey("hintro.webhook.dispatcher", Periodic)
RECONCILER = web.AppKey("hintro.webhook.reconciler", ProjectionReconciler)


def _now() -> int:
    return epoch_millis(now_millis())


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _sender_ctx(settings: Settings, resolve: Resolve) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        rules = UrlRules(
            allow_http=settings.webhook_allow_http,
            allow_networks=parse_networks(settings.webhook_allow_cidrs),
        )
        limits = SenderLimits(
            connect_timeout_seconds=settings.webhook_connect_timeout_seconds,
            total_timeout_seconds=settings.webhook_timeout_seconds,
            max_response_bytes=settings.webhook_max_response_bytes,
        )
        sender = Sender(rules, limits, resolve)
        await sender.start()
        app[SENDER] = sender
        yield
        await sender.close()

    return ctx


def _webhook_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            endpoints, deliveries = Endpoints(db), Deliveries(db)
            board_view = BoardProjection(db, boards="board_members", lists="board_lists")
            for indexed in (endpoints, deliveries, board_view):
                await indexed.create_indexes()
            await events.start_relay(endpoints.collection)
            outbox = events.outbox(endpoints.collection)
            sender = app[SENDER]
            dispatcher = Dispatcher(
                endpoints,
                deliveries,
                sender.send,
                policy=RetryPolicy(
                    base_ms=_ms(settings.retry_base_seconds),
                    cap_ms=_ms(settings.retry_cap_seconds),
                    give_up_after_ms=_ms(settings.webhook_retry_for_seconds),
                ),
                disable_after_ms=_ms(settings.webhook_disable_after_seconds),
                lease_ms=_ms(settings.webhook_timeout_seconds * 2 + 5),
                clock=_now,
                outbox=outbox,
            )
            loop = Periodic("webhook-dispatcher", settings.delivery_poll_seconds, dispatcher.step)
            settle = settings.webhook_order_settle_seconds

            def wake_after_settling() -> None:
                asyncio.get_running_loop().call_later(settle, loop.poke)

            service = WebhookService(
                endpoints,
                deliveries,
                BoardReaders(board_view, app[BOARD_CLIENT]),
                sender,
                outbox=outbox,
                wake=wake_after_settling,
                secret_overlap_ms=_ms(settings.webhook_secret_overlap_seconds),
                settle_ms=_ms(settle),
            )
            app[WEBHOOK_SERVICE] = service
            reconciler = start_reconciler(settings, board_view, app[BOARD_CLIENT])
            if reconciler is not None:
                events.on_close(reconciler.stop)
                app[RECONCILER] = reconciler
            await events.consume(
                queue=settings.webhook_queue,
                routing_keys=ROUTING_KEYS,
                handler=WebhookEvents(service, board_view, _now),
                prefetch=settings.consumer_prefetch,
            )
            loop.start()
            events.on_close(loop.stop)  # before the consumer and the relay close
            app[DISPATCHER] = loop
            yield

    return ctx


def create_app(
    settings: Settings,
    *,
    token_keys: KeySource | None = None,
    board_client: BoardClient | None = None,
    resolve: Resolve = system_resolve,
) -> web.Application:
    """The webhook service's application; ``token_keys`` replaces auth's JWKS,
    ``board_client`` the client of the board service and ``resolve`` the DNS lookup of
    endpoint hosts (tests)."""
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
            _sender_ctx(settings, resolve),
            _webhook_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
