"""A minimal service on the shared HTTP base, run as a process by tests/test_resilience.py:
``GET /slow`` logs that it started, then answers after ``SLOW_SECONDS``."""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web

from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app, run_service

_log = logging.getLogger("resilience")


async def slow(_: web.Request) -> web.Response:
    _log.info("slow request started")
    await asyncio.sleep(float(os.environ.get("SLOW_SECONDS", "1.5")))
    return web.json_response({"finished": True})


def main() -> None:
    settings = ServiceSettings(service_name="resilience")
    app = create_base_app(settings)
    app.router.add_get("/slow", slow)
    run_service(app, settings)


if __name__ == "__main__":
    main()
