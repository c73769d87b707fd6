"""Liveness (``/healthz``) and readiness (``/readyz``) for every service.

Each connection helper registers a check here. Readiness is false while a required dependency
is unreachable and from the moment SIGTERM arrives (draining), so load balancers stop sending
traffic before the process goes away. Optional dependencies report ``degraded`` without failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from hintro_shared import jsonutil
from hintro_shared.problems import Problem, problem_response

ReadinessCheck = Callable[[], Awaitable[None]]
"""A coroutine function that returns when the dependency works and raises otherwise."""

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass
class Health:
    """The readiness checks of one process and its draining flag."""

    required: dict[str, ReadinessCheck] = field(default_factory=dict)
    optional: dict[str, ReadinessCheck] = field(default_factory=dict)
    draining: bool = False

    def add(self, name: str, check: ReadinessCheck, *, required: bool = True) -> None:
        """Register a dependency check."""
        (self.required if required else self.optional)[name] = check

    async def run(self) -> tuple[bool, dict[str, str]]:
        """Run every check concurrently with a bounded timeout; return (ready, detail)."""
        names = [*self.required, *self.optional]
        checks = [*self.required.values(), *self.optional.values()]
        results = await asyncio.gather(
            *(asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS) for check in checks),
            return_exceptions=True,
        )
        detail: dict[str, str] = {}
        ready = not self.draining
        for name, result in zip(names, results, strict=True):
            if not isinstance(result, BaseException):
                detail[name] = "ok"
            elif name in self.required:
                detail[name] = f"unavailable: {type(result).__name__}"
                ready = False
            else:
                detail[name] = f"degraded: {type(result).__name__}"
        if self.draining:
            detail["process"] = "draining"
        return ready, detail


HEALTH = web.AppKey("hintro.health", Health)


async def healthz(_: web.Request) -> web.Response:
    """Liveness: the process is up and its event loop answers."""
    return web.json_response({"status": "ok"}, dumps=jsonutil.dumps)


async def readyz(request: web.Request) -> web.Response:
    """Readiness: every required dependency answers and the process is not draining."""
    ready, detail = await request.app[HEALTH].run()
    if ready:
        return web.json_response({"status": "ready", "checks": detail}, dumps=jsonutil.dumps)
    response = problem_response(Problem(503, "The service is not ready.", title="Not Ready"))
    response.body = jsonutil.dumps_bytes(
        {
            "type": "about:blank",
            "title": "Not Ready",
            "status": 503,
            "detail": "The service is not ready.",
            "checks": detail,
        }
    )
    return response
