"""The importer's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: MongoDB, the token verifier, the client of
the board and task services, then the job store (indexes), the use cases, and the sweep that
fails jobs whose runner is gone; on the way out the sweep stops first, then the runners of this
process (their jobs are failed, resumable), then the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hintro_importer.config import Settings
from hintro_importer.repository import Jobs
from hintro_importer.routes import IMPORT_SERVICE, MAX_BYTES, OPERATIONS
from hintro_importer.service import ImportService
from hintro_importer.suite import SUITE, Suite, suite_ctx
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.periodic import Periodic
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_shared.tokens import KeySource, token_verifier_ctx

Ctx = Callable[[web.Application], AsyncIterator[None]]

SWEEP = web.AppKey("hintro.importer.sweep", Periodic)


def _now() -> int:
    return epoch_millis(now_millis())


def _importer_ctx(settings: Settings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        jobs = Jobs(app[MONGO_DB])
        await jobs.create_indexes()
        service = ImportService(
            jobs,
            app[SUITE],
            _now,
            stale_after_ms=int(settings.stale_after_seconds * 1000),
            lookups_per_hour=settings.member_lookups_per_hour,
            fail_after_steps=settings.fail_after_steps,
        )
        app[IMPORT_SERVICE] = service
        sweep = Periodic("import-sweep", settings.sweep_seconds, service.sweep)
        sweep.start()
        app[SWEEP] = sweep
        yield
        await sweep.stop()
        await service.stop()

    return ctx


def create_app(
    settings: Settings, *, token_keys: KeySource | None = None, suite: Suite | None = None
) -> web.Application:
    """The importer's application; ``token_keys`` replaces auth's JWKS and ``suite`` the
    client of the board and task services (tests)."""
    app = create_base_app(settings)
    app[MAX_BYTES] = settings.import_max_bytes
    client = suite or Suite(
        {"board": settings.board_url, "task": settings.task_url},
        settings.step_timeout_seconds,
        settings.step_retries,
    )
    app.cleanup_ctx.extend(
        [
            mongo_ctx(settings),
            token_verifier_ctx(settings, token_keys),
            suite_ctx(client),
            _importer_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
