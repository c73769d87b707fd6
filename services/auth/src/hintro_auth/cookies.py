"""The browser session: the refresh token in an ``HttpOnly`` cookie instead of the JSON body.

The cookie is ``hintro_refresh``, ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no
other site's page makes the browser send it), ``Path=/api/auth`` (sent only to the auth routes)
and ``Secure`` outside development and test. A request that uses or sets the cookie must come
from a trusted origin: the gateway marks a request whose ``Origin`` is its own or one of its
``CORS_ORIGINS`` with ``X-Origin-Trusted: 1`` (a header it never takes from a client), and the
auth routes refuse cookie sessions without it, so a cross-site form or fetch cannot log a
browser in, refresh or log it out even where ``SameSite`` is not enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from hintro_shared.http import ORIGIN_TRUSTED_HEADER
from hintro_shared.refusals import Forbidden

COOKIE_NAME = "hintro_refresh"
COOKIE_PATH = "/api/auth"
# Environments served over plain HTTP on the developer's machine or in tests.
INSECURE_ENVIRONMENTS = frozenset({"development", "test"})


@dataclass(frozen=True, slots=True)
class SessionCookie:
    """How the refresh cookie is written."""

    max_age: int
    secure: bool

    @classmethod
    def for_environment(cls, environment: str, refresh_ttl_seconds: int) -> SessionCookie:
        """``Secure`` everywhere but development and test."""
        return cls(max_age=refresh_ttl_seconds, secure=environment not in INSECURE_ENVIRONMENTS)

    def _attributes(self, max_age: int) -> str:
        secure = "; Secure" if self.secure else ""
        return f"HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={max_age}{secure}"

    def set_header(self, refresh_token: str) -> str:
        """``Set-Cookie`` value carrying a refresh token (URL-safe base64: no quoting)."""
        return f"{COOKIE_NAME}={refresh_token}; {self._attributes(self.max_age)}"

    def clear_header(self) -> str:
        """``Set-Cookie`` value that removes the cookie."""
        return f"{COOKIE_NAME}=; {self._attributes(0)}"


SESSION_COOKIE = web.AppKey("hintro.auth.session_cookie", SessionCookie)


def require_trusted_origin(request: web.Request) -> None:
    """403 unless the gateway vouched for the request's ``Origin``."""
    if request.headers.get(ORIGIN_TRUSTED_HEADER) != "1":
        raise Forbidden(
            "A cookie session needs a request from an allowed origin: send it from the web app "
            "(its Origin header must be the API's own origin or one of CORS_ORIGINS).",
        )


def refresh_cookie(request: web.Request) -> str | None:
    """The refresh token the browser sent, if any."""
    return request.cookies.get(COOKIE_NAME) or None
