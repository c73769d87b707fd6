"""The notification service's composition root: the only place that wires adapters to use
cases.

Resources open in this order and close in reverse: MongoDB, RabbitMQ, the token verifier, the
board service client, then the stores (indexes), the outbox relay with its publisher, the use
cases, the event consumer, and the two background loops (the due-soon reminders and the
mailer), which stop first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_notification.config import Settings
from hintro_notification.consumers import ROUTING_KEYS, NotificationEvents
from hintro_notification.mailer import Mailer, Send
from hintro_notification.repository import Facts, NotificationStore, Preferences, Watches
from hintro_notification.routes import NOTIFICATION_SERVICE, OPERATIONS
from hintro_notification.service import NotificationService
from hintro_shared import mail
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
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.periodic import Periodic
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_shared.tokens import KeySource, token_verifier_ctx

Ctx = Callable[[web.Application], AsyncIterator[None]]

EVENT_CONSUMER = web.AppKey("hintro.notification.consumer", EventConsumer)
REMINDERS = web.AppKey("hintro.notification.reminders", Periodic)
MAILER = web.AppKey("hintro.notification.mailer", Periodic)
RECONCILER = web.AppKey("hintro.notification.reconciler", ProjectionReconciler)


def _now() -> int:
    return epoch_millis(now_millis())


def _notification_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            store, facts = NotificationStore(db), Facts(db)
            watches, preferences = Watches(db), Preferences(db)
            board_view = BoardProjection(db, boards="board_members", lists="board_lists")
            for indexed in (store, facts, watches, preferences, board_view):
                await indexed.create_indexes()
            await events.start_relay(store.collection)
            service = NotificationService(
                store,
                facts,
                watches,
                preferences,
                BoardReaders(board_view, app[BOARD_CLIENT]),
                outbox=events.outbox(store.collection),
            )
            app[NOTIFICATION_SERVICE] = service
            smtp = settings.smtp

            async def send(message: mail.Mail) -> None:
                await mail.send(smtp, message)

            sender: Send = send
            mailer = Mailer(
                store,
                facts,
                preferences,
                sender,
                public_url=settings.public_url,
                digest_interval_ms=int(settings.digest_interval_hours * 3600 * 1000),
            )

            async def mail_step() -> None:
                await mailer.send_owed()
                await mailer.send_digests(_now())

            async def remind_step() -> None:
                await service.remind_due(_now())

            reminders = Periodic("due-soon", settings.reminder_poll_seconds, remind_step)
            mailing = Periodic("mailer", settings.mail_poll_seconds, mail_step)
            reconciler = start_reconciler(settings, board_view, app[BOARD_CLIENT])
            if reconciler is not None:
                events.on_close(reconciler.stop)
                app[RECONCILER] = reconciler
            app[EVENT_CONSUMER] = await events.consume(
                queue=settings.notification_queue,
                routing_keys=ROUTING_KEYS,
                handler=NotificationEvents(service, facts, watches, board_view),
                prefetch=settings.consumer_prefetch,
            )
            for loop in (reminders, mailing):
                loop.start()
                events.on_close(loop.stop)  # before the consumer and the relay close
            app[REMINDERS], app[MAILER] = reminders, mailing
            yield

    return ctx


def create_app(
    settings: Settings,
    *,
    token_keys: KeySource | None = None,
    board_client: BoardClient | None = None,
) -> web.Application:
    """The notification service's application; ``token_keys`` replaces auth's JWKS and
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
            _notification_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
