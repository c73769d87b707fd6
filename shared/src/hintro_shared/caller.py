"""Who is calling, as the use cases of every service see it (built from a verified token by
:func:`hintro_shared.tokens.authenticated_caller`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request."""

    user_id: str
    authorization: str = ""
    """The caller's ``Authorization`` header, forwarded when a use case asks another service on
    the caller's behalf (the board service, on a projection miss)."""
    request_id: str | None = None
    socket_id: str | None = None
    """The Socket.IO sid the request names in ``X-Socket-Id`` (its echo is suppressed)."""
