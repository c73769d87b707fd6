"""The task service's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: MongoDB, RabbitMQ, the token verifier, the
board service client (asked when the projection denies or misses), then the repositories and
the projection (indexes first), the event publisher and outbox relay (tasks and comments), the
use cases, the projection's consumer and the comment healer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_shared.boardview import (
    BOARD_CLIENT,
    BoardClient,
    board_client_ctx,
)
from hintro_shared.boardview.reconcile import ProjectionReconciler, start_reconciler
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.redis_conn import REDIS, redis_ctx
from hintro_shared.tokens import KeySource, token_verifier_ctx
from hintro_task.cache import TasksCache
from hintro_task.config import Settings
from hintro_task.consumers import ROUTING_KEYS, BoardEventHandler
from hintro_task.domain import EventContext
from hintro_task.memberships import CachedBoardView, MembershipCache
from hintro_task.migrations import LABEL_IMPORTS
from hintro_task.repository import CommentRepository, TaskRepository
from hintro_task.routes import COMMENT_SERVICE, OPERATIONS, SEARCH_SERVICE, TASK_SERVICE
from hintro_task.search import SEARCH_ROUTING_KEYS, SearchIndexer, SearchService
from hintro_task.search_index import SearchIndex
from hintro_task.service import CommentService, TaskService

_log = logging.getLogger(__name__)
RECONCILER = web.AppKey("hintro.task.reconciler", ProjectionReconciler)
# Seconds between the comment healer's passes (see CommentService.heal_pending).
HEAL_INTERVAL_SECONDS = 5.0


async def _heal_forever(comments: CommentService, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            await comments.heal_pending()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A database outage must not end the healer; it tries again next pass.
            _log.warning("comment healing failed", extra={"error": repr(exc)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), HEAL_INTERVAL_SECONDS)


def _tasks_ctx(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """Repository and projection (indexes first), the outbox relay with its publisher, the
        task collections' cache, the use cases and the projection's consumer, then the search index,
    its consumer and the search use case; stopped in reverse
        order."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            tasks = TaskRepository(db)
            comments = CommentRepository(db)
            projection = CachedBoardView(
                db,
                MembershipCache(
                    app[REDIS],
                    prefix=settings.membership_cache_prefix,
                    ttl_seconds=settings.tasks_cache_ttl_seconds,
                    generation_ttl_seconds=settings.tasks_cache_generation_ttl_seconds,
                    retry_seconds=settings.tasks_cache_retry_seconds,
                ),
            )
            await tasks.create_indexes()
            await comments.create_indexes()
            await projection.create_indexes()
            # label_imports: the events of the label migration (hintro_task.migrations).
            await events.start_relay(tasks.collection, comments.collection, db[LABEL_IMPORTS])
            cache = TasksCache(
                app[REDIS],
                prefix=settings.tasks_cache_prefix,
                ttl_seconds=settings.tasks_cache_ttl_seconds,
                generation_ttl_seconds=settings.tasks_cache_generation_ttl_seconds,
                retry_seconds=settings.tasks_cache_retry_seconds,
            )
            # Fast path: each write's events leave right after it commits, without making the
            # request wait for the broker; the sweeper catches whatever a crash left behind.
            service = TaskService(
                tasks,
                projection,
                app[BOARD_CLIENT],
                cache,
                comments=comments,
                outbox=events.outbox(tasks.collection),
            )
            comment_service = CommentService(
                tasks,
                comments,
                projection,
                app[BOARD_CLIENT],
                cache,
                task_outbox=events.outbox(tasks.collection),
                comment_outbox=events.outbox(comments.collection),
            )

            async def board_gone(board_id: str) -> None:
                # A deletion whose event was missed: the cascade its handler would have run.
                await service.delete_board_tasks(board_id, EventContext(actor_id=None))
                await cache.invalidate(board_id)

            reconciler = start_reconciler(
                settings, projection, app[BOARD_CLIENT], on_deleted=board_gone
            )
            if reconciler is not None:
                events.on_close(reconciler.stop)
                app[RECONCILER] = reconciler
            await events.consume(
                queue=settings.projection_queue,
                routing_keys=ROUTING_KEYS,
                handler=BoardEventHandler(projection, service, cache, service, service, comments),
            )
            stopping = asyncio.Event()
            healer = asyncio.create_task(
                _heal_forever(comment_service, stopping), name="comment-healer"
            )

            async def stop_healer() -> None:
                stopping.set()
                await asyncio.wait({healer}, timeout=settings.shutdown_timeout_seconds)

            events.on_close(stop_healer)
            app[TASK_SERVICE] = service
            # Search: the index follows task and comment events on its own queue.
            search_index = SearchIndex(db)
            await search_index.create_indexes()
            await events.consume(
                queue=settings.search_queue,
                routing_keys=SEARCH_ROUTING_KEYS,
                handler=SearchIndexer(search_index, tasks),
            )
            app[SEARCH_SERVICE] = SearchService(search_index, projection, boards=app[BOARD_CLIENT])
            app[COMMENT_SERVICE] = comment_service
            yield

    return ctx


def create_app(
    settings: Settings,
    *,
    token_keys: KeySource | None = None,
    board_client: BoardClient | None = None,
) -> web.Application:
    """The task service application.

    ``token_keys`` replaces auth's JWKS as the source of verification keys (tests);
    ``board_client`` replaces the client of the board service."""
    app = create_base_app(settings)
    client = board_client or BoardClient(
        settings.board_url,
        settings.board_timeout_seconds,
        trust_seconds=settings.projection_trust_seconds,
    )
    app.cleanup_ctx.extend(
        [
            mongo_ctx(settings),
            # Optional: without Redis the task collections are read from MongoDB every time.
            redis_ctx(settings, required=False),
            rabbit_ctx(settings),
            token_verifier_ctx(settings, token_keys),
            board_client_ctx(client),
            _tasks_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
