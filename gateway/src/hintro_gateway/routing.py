"""The routing table: which service answers each public route, as data.

Patterns use aiohttp's (and OpenAPI's) ``{name}`` syntax and are registered one by one, so a
path the table does not name is a 404 at the gateway and a wrong method a 405, without a trip
to a service. Paths are forwarded unchanged (the services serve the same public paths).

``public`` routes need no bearer token. Logout is public on purpose: it takes the refresh token
in its body (or the browser's refresh cookie) and that token is the credential (a client whose
access token has expired must still be able to log out); auth checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUTH, BOARD, TASK, ACTIVITY, REALTIME = "auth", "board", "task", "activity", "realtime"
NOTIFICATION, WEBHOOK, IMPORTER = "notification", "webhook", "importer"
SERVICES = (AUTH, BOARD, TASK, ACTIVITY, REALTIME, NOTIFICATION, WEBHOOK, IMPORTER)


@dataclass(frozen=True)
class Route:
    """One public route and the service that serves it."""

    method: str
    pattern: str
    service: str
    public: bool = False
    read_email: bool = False
    """Login and register: the gateway reads the body's email for the per-email rate limit."""
    lookup: bool = False
    """Resolves people by e-mail address (the lookup, adding a member): charged on the per-user
    ``user-lookup`` policy too (a GET only when it has ``email``), so the suite cannot be used
    to find out who has an account beyond what inviting needs."""
    slow: bool = False
    """Deliberately expensive (password hashing): its timeouts say the route is busy, not that
    the service is down, so they do not count towards the service's circuit breaker, and a
    login flood cannot open the circuit for the service's cheap routes (refresh, me, JWKS)."""
    upload: bool = False
    """Takes a file: its body may be up to ``IMPORT_MAX_BYTES`` instead of ``MAX_BODY_BYTES``."""


ROUTES: tuple[Route, ...] = (
    # auth
    Route("POST", "/api/auth/register", AUTH, public=True, read_email=True, slow=True),
    Route("POST", "/api/auth/login", AUTH, public=True, read_email=True, slow=True),
    Route("POST", "/api/auth/refresh", AUTH, public=True),
    Route("POST", "/api/auth/logout", AUTH, public=True),
    Route("GET", "/api/auth/me", AUTH),
    Route("PATCH", "/api/auth/me", AUTH),
    Route("GET", "/api/auth/.well-known/jwks.json", AUTH, public=True),
    # Password reset: charged to the per-address auth bucket (read_email); auth caps the
    # links an account may have outstanding.
    Route("POST", "/api/auth/password-reset", AUTH, public=True, read_email=True),
    Route("POST", "/api/auth/password-reset/confirm", AUTH, public=True, slow=True),
    # board: boards, members, lists
    Route("GET", "/api/boards", BOARD),
    Route("POST", "/api/boards", BOARD),
    Route("GET", "/api/boards/{boardId}", BOARD),
    Route("PATCH", "/api/boards/{boardId}", BOARD),
    Route("DELETE", "/api/boards/{boardId}", BOARD),
    Route("POST", "/api/boards/{boardId}/members", BOARD, lookup=True),
    Route("PATCH", "/api/boards/{boardId}/members/{userId}", BOARD),
    Route("DELETE", "/api/boards/{boardId}/members/{userId}", BOARD),
    Route("POST", "/api/boards/{boardId}/transfer", BOARD),
    # People: board knows who shares a board with whom, and every user's name and e-mail.
    Route("GET", "/api/users", BOARD, lookup=True),
    Route("GET", "/api/boards/{boardId}/lists", BOARD),
    Route("POST", "/api/boards/{boardId}/lists", BOARD),
    Route("PATCH", "/api/lists/{listId}", BOARD),
    Route("DELETE", "/api/lists/{listId}", BOARD),
    # board: a board's labels
    Route("GET", "/api/boards/{boardId}/labels", BOARD),
    Route("POST", "/api/boards/{boardId}/labels", BOARD),
    Route("PATCH", "/api/boards/{boardId}/labels/{labelId}", BOARD),
    Route("DELETE", "/api/boards/{boardId}/labels/{labelId}", BOARD),
    # task
    Route("GET", "/api/boards/{boardId}/tasks", TASK),
    Route("POST", "/api/boards/{boardId}/tasks", TASK),
    Route("GET", "/api/tasks/{taskId}", TASK),
    Route("PATCH", "/api/tasks/{taskId}", TASK),
    Route("DELETE", "/api/tasks/{taskId}", TASK),
    Route("POST", "/api/tasks/{taskId}/move", TASK),
    Route("PUT", "/api/tasks/{taskId}/assignees/{userId}", TASK),
    Route("DELETE", "/api/tasks/{taskId}/assignees/{userId}", TASK),
    # search: the task service indexes tasks and comments of every board
    Route("GET", "/api/search", TASK),
    # task: comments
    Route("GET", "/api/tasks/{taskId}/comments", TASK),
    Route("POST", "/api/tasks/{taskId}/comments", TASK),
    Route("PATCH", "/api/comments/{commentId}", TASK),
    Route("DELETE", "/api/comments/{commentId}", TASK),
    # task: checklists (in the task document)
    Route("GET", "/api/tasks/{taskId}/checklists", TASK),
    Route("POST", "/api/tasks/{taskId}/checklists", TASK),
    Route("PATCH", "/api/tasks/{taskId}/checklists/{checklistId}", TASK),
    Route("DELETE", "/api/tasks/{taskId}/checklists/{checklistId}", TASK),
    Route("POST", "/api/tasks/{taskId}/checklists/{checklistId}/items", TASK),
    Route("PATCH", "/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}", TASK),
    Route("POST", "/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}/move", TASK),
    Route("DELETE", "/api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}", TASK),
    # archive and restore (board: boards and lists; task: tasks)
    Route("POST", "/api/boards/{boardId}/archive", BOARD),
    Route("POST", "/api/boards/{boardId}/restore", BOARD),
    Route("POST", "/api/lists/{listId}/archive", BOARD),
    Route("POST", "/api/lists/{listId}/restore", BOARD),
    Route("POST", "/api/tasks/{taskId}/archive", TASK),
    Route("POST", "/api/tasks/{taskId}/restore", TASK),
    # activity
    Route("GET", "/api/boards/{boardId}/activity", ACTIVITY),
    # notification: a user's notifications, settings, watches
    Route("GET", "/api/notifications", NOTIFICATION),
    Route("POST", "/api/notifications/read-all", NOTIFICATION),
    Route("POST", "/api/notifications/{notificationId}/read", NOTIFICATION),
    Route("GET", "/api/notifications/settings", NOTIFICATION),
    Route("PUT", "/api/notifications/settings", NOTIFICATION),
    Route("GET", "/api/tasks/{taskId}/watch", NOTIFICATION),
    Route("PUT", "/api/tasks/{taskId}/watch", NOTIFICATION),
    Route("DELETE", "/api/tasks/{taskId}/watch", NOTIFICATION),
    Route("GET", "/api/boards/{boardId}/watch", NOTIFICATION),
    Route("PUT", "/api/boards/{boardId}/watch", NOTIFICATION),
    Route("DELETE", "/api/boards/{boardId}/watch", NOTIFICATION),
    # webhook: a board's endpoints (owners only), their delivery logs
    Route("GET", "/api/boards/{boardId}/webhooks", WEBHOOK),
    Route("POST", "/api/boards/{boardId}/webhooks", WEBHOOK),
    Route("GET", "/api/webhooks/{webhookId}", WEBHOOK),
    Route("PATCH", "/api/webhooks/{webhookId}", WEBHOOK),
    Route("DELETE", "/api/webhooks/{webhookId}", WEBHOOK),
    Route("POST", "/api/webhooks/{webhookId}/rotate-secret", WEBHOOK),
    Route("GET", "/api/webhooks/{webhookId}/deliveries", WEBHOOK),
    Route("POST", "/api/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", WEBHOOK),
    # importer: Trello exports imported as jobs
    Route("POST", "/api/imports", IMPORTER, upload=True),
    Route("GET", "/api/imports", IMPORTER),
    Route("GET", "/api/imports/{importId}", IMPORTER),
    Route("POST", "/api/imports/{importId}/resume", IMPORTER),
)

SOCKETIO_PATH = "/socket.io/"
"""Engine.IO endpoint (websocket and long-polling), proxied to the realtime service. Its token
travels inside the Socket.IO handshake, so realtime checks it; the gateway rate-limits per IP."""
SOCKETIO_SERVICE = REALTIME

_PARAM = re.compile(r"\{(\w+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    parts = _PARAM.split(pattern)
    # split() alternates literal text and parameter names.
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


_COMPILED = tuple((_compile(route.pattern), route) for route in ROUTES)


def resolve(method: str, path: str) -> Route | None:
    """The route that serves ``method path`` (the app uses aiohttp's router built from the same
    table; this is for tools and tests)."""
    for regex, route in _COMPILED:
        if route.method == method.upper() and regex.match(path):
            return route
    return None
