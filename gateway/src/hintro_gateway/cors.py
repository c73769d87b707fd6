"""CORS for browser clients: the gateway answers preflights itself and adds the response
headers to every answer (its own, the services' and errors alike).

Access tokens travel in the ``Authorization`` header, not cookies, so credentials are off by
default; with ``CORS_ORIGINS=*`` they cannot be turned on (browsers refuse that pairing, and it
would let any site ride a user's cookies).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hintro_shared.problems import Problem

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id, X-Socket-Id"
EXPOSED_HEADERS = "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id"


class Cors:
    """The CORS policy of the gateway."""

    def __init__(self, origins: tuple[str, ...], *, credentials: bool, max_age: int) -> None:
        self._any = "*" in origins
        self._origins = frozenset(origin.rstrip("/") for origin in origins if origin != "*")
        self._credentials = credentials
        self._max_age = str(max_age)

    @property
    def enabled(self) -> bool:
        """Whether any origin is allowed at all."""
        return self._any or bool(self._origins)

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` may call the API from a browser."""
        return self._any or origin in self._origins

    def _allow_origin(self, origin: str) -> str:
        return "*" if self._any and not self._credentials else origin

    @web.middleware
    async def preflight_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer ``OPTIONS`` preflights before routing, authentication or rate limits."""
        origin = request.headers.get("Origin")
        if (
            request.method == "OPTIONS"
            and origin
            and "Access-Control-Request-Method" in request.headers
            and self.enabled
        ):
            if not self.allows(origin):
                raise Problem(403, "This origin may not call the API.")
            headers = {
                "Access-Control-Allow-Origin": self._allow_origin(origin),
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": self._max_age,
                "Vary": "Origin",
            }
            if self._credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
            return web.Response(status=204, headers=headers)
        response: web.StreamResponse = await handler(request)
        return response

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add the CORS response headers for an allowed origin (``on_response_prepare``)."""
        origin = request.headers.get("Origin")
        if not origin or not self.enabled or not self.allows(origin):
            return
        headers = response.headers
        headers["Access-Control-Allow-Origin"] = self._allow_origin(origin)
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if self._credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if "Origin" not in headers.getall("Vary", []):
            headers.add("Vary", "Origin")
