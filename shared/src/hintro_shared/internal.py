"""Service-to-service routes that no user may call.

Such a route lives under ``/internal/`` (the gateway routes only ``/api/``, ``/socket.io/`` and
the web app, so it is never reachable from outside through it) and answers only a caller that
presents the shared ``INTERNAL_TOKEN`` as ``Authorization: Internal <token>``. Without the
setting the route does not exist (404) and callers do not call it. A wrong or missing token is
a 404 too: nothing tells a prober that the route is there.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from pydantic import SecretStr

from hintro_shared.problems import Problem, problem_response

INTERNAL_PREFIX = "/internal/"
SCHEME = "Internal"


def internal_authorization(token: SecretStr) -> str:
    """The ``Authorization`` value a service presents on an internal route."""
    return f"{SCHEME} {token.get_secret_value()}"


def is_internal_caller(request: web.Request, token: SecretStr | None) -> bool:
    """Whether the request carries the shared internal token (always false without one)."""
    if token is None or not token.get_secret_value():
        return False
    presented = request.headers.get("Authorization", "")
    expected = internal_authorization(token)
    return hmac.compare_digest(presented.encode(), expected.encode())


def not_found() -> web.Response:
    """The answer to anyone but an internal caller."""
    return problem_response(Problem(404, "Not found."))
