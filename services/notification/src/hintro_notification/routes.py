"""HTTP surface of the notification service (docs/api.md, "Notifications");
``OPERATIONS`` declares it for routing and for OpenAPI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from hintro_notification.domain import EmailPreference, WatchTarget, is_safe_id
from hintro_notification.schemas import (
    EmailSettings,
    EmailSettingsOut,
    NotificationPage,
    NotificationsQuery,
    ReadAllOut,
    WatchOut,
    page_json,
)
from hintro_notification.service import NotificationService
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.pagination import decode_cursor, invalid_cursor
from hintro_shared.problems import not_found, read_json, validate
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_shared.tokens import authenticated_caller

NOTIFICATION_SERVICE = web.AppKey("hintro.notification.service", NotificationService)
TAG = "notifications"
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _before(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor)
    at, last = key.get("t"), key.get("i")
    if not isinstance(at, int) or isinstance(at, bool) or not isinstance(last, str):
        raise invalid_cursor()
    return at, last


def _now() -> int:
    return epoch_millis(now_millis())


async def handle_list_notifications(request: web.Request) -> web.Response:
    """GET /api/notifications"""
    caller = await authenticated_caller(request)
    query = validate(NotificationsQuery, dict(request.query))
    page = await request.app[NOTIFICATION_SERVICE].page(caller, query.limit, _before(query.cursor))
    return json_response(page_json(page))


async def handle_mark_read(request: web.Request) -> web.Response:
    """POST /api/notifications/{notificationId}/read"""
    caller = await authenticated_caller(request)
    notification_id = request.match_info["notificationId"]
    if not is_safe_id(notification_id):
        raise not_found("notification")
    await request.app[NOTIFICATION_SERVICE].mark_read(caller, notification_id, _now())
    return web.Response(status=204)


async def handle_mark_all_read(request: web.Request) -> web.Response:
    """POST /api/notifications/read-all"""
    caller = await authenticated_caller(request)
    marked = await request.app[NOTIFICATION_SERVICE].mark_all_read(caller, _now())
    return json_response(ReadAllOut(marked=marked))


async def handle_get_notification_settings(request: web.Request) -> web.Response:
    """GET /api/notifications/settings"""
    caller = await authenticated_caller(request)
    preference = await request.app[NOTIFICATION_SERVICE].email_preference(caller)
    return json_response(EmailSettingsOut(email=preference.value))


async def handle_put_notification_settings(request: web.Request) -> web.Response:
    """PUT /api/notifications/settings"""
    caller = await authenticated_caller(request)
    body = await read_json(request, EmailSettings)
    preference = EmailPreference(body.email)
    await request.app[NOTIFICATION_SERVICE].set_email_preference(caller, preference, _now())
    return json_response(EmailSettingsOut(email=preference.value))


def _target(request: web.Request, target: WatchTarget, param: str) -> str:
    target_id = request.match_info[param]
    if not is_safe_id(target_id):
        raise not_found(target.value)
    return target_id


def _watch_handlers(target: WatchTarget, param: str) -> tuple[Handler, Handler, Handler]:
    async def get(request: web.Request) -> web.Response:
        caller = await authenticated_caller(request)
        service = request.app[NOTIFICATION_SERVICE]
        watching = await service.watching(caller, target, _target(request, target, param))
        return json_response(WatchOut(watching=watching))

    async def put(request: web.Request) -> web.Response:
        caller = await authenticated_caller(request)
        await request.app[NOTIFICATION_SERVICE].watch(
            caller, target, _target(request, target, param)
        )
        return json_response(WatchOut(watching=True))

    async def delete(request: web.Request) -> web.Response:
        caller = await authenticated_caller(request)
        service = request.app[NOTIFICATION_SERVICE]
        await service.unwatch(caller, target, _target(request, target, param))
        return json_response(WatchOut(watching=False))

    get.__name__ = f"handle_get_{target.value}_watch"
    put.__name__ = f"handle_watch_{target.value}"
    delete.__name__ = f"handle_unwatch_{target.value}"
    return get, put, delete


_get_task_watch, _watch_task, _unwatch_task = _watch_handlers(WatchTarget.TASK, "taskId")
_get_board_watch, _watch_board, _unwatch_board = _watch_handlers(WatchTarget.BOARD, "boardId")
_TASK_WATCH = "/api/tasks/{taskId}/watch"
_BOARD_WATCH = "/api/boards/{boardId}/watch"

OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/api/notifications",
        handle_list_notifications,
        "My notifications, newest first (opaque `cursor`), with my unread count",
        TAG,
        query=NotificationsQuery,
        response=NotificationPage,
        errors=(422,),
    ),
    Operation(
        "POST",
        "/api/notifications/read-all",
        handle_mark_all_read,
        "Mark all my notifications read",
        TAG,
        response=ReadAllOut,
    ),
    Operation(
        "POST",
        "/api/notifications/{notificationId}/read",
        handle_mark_read,
        "Mark one of my notifications read",
        TAG,
        status=204,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/api/notifications/settings",
        handle_get_notification_settings,
        "My notification settings (e-mail: off, immediate or daily)",
        TAG,
        response=EmailSettingsOut,
    ),
    Operation(
        "PUT",
        "/api/notifications/settings",
        handle_put_notification_settings,
        "Change my notification settings",
        TAG,
        request=EmailSettings,
        response=EmailSettingsOut,
        errors=(422,),
    ),
    Operation(
        "GET",
        _TASK_WATCH,
        _get_task_watch,
        "Whether I watch a card",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
    Operation(
        "PUT",
        _TASK_WATCH,
        _watch_task,
        "Watch a card (its moves and comments)",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
    Operation(
        "DELETE",
        _TASK_WATCH,
        _unwatch_task,
        "Stop watching a card",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
    Operation(
        "GET",
        _BOARD_WATCH,
        _get_board_watch,
        "Whether I watch a board",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
    Operation(
        "PUT",
        _BOARD_WATCH,
        _watch_board,
        "Watch a board (every card's moves and comments)",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
    Operation(
        "DELETE",
        _BOARD_WATCH,
        _unwatch_board,
        "Stop watching a board",
        TAG,
        response=WatchOut,
        errors=(404,),
    ),
]
