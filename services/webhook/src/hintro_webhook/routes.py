"""HTTP surface of the webhook service (docs/api.md, "Webhooks"); ``OPERATIONS`` declares it
for routing and for OpenAPI. Every route is for the board's owners: non-members get 404,
other members 403."""

from __future__ import annotations

from aiohttp import web

from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.pagination import decode_cursor, invalid_cursor
from hintro_shared.problems import not_found, read_json, validate
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_shared.tokens import authenticated_caller
from hintro_webhook.domain import EVENT_TYPES, is_safe_id
from hintro_webhook.schemas import (
    DeliveriesQuery,
    DeliveryOut,
    DeliveryPageOut,
    EndpointIn,
    EndpointList,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecret,
    delivery_json,
    delivery_page_json,
    endpoint_json,
)
from hintro_webhook.service import Changes, WebhookService

WEBHOOK_SERVICE = web.AppKey("hintro.webhook.service", WebhookService)
TAG = "webhooks"


def _now() -> int:
    return epoch_millis(now_millis())


def _id(request: web.Request, param: str, what: str) -> str:
    value = request.match_info[param]
    if not is_safe_id(value):
        raise not_found(what)
    return value


def _before(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor)
    at, last = key.get("t"), key.get("i")
    if not isinstance(at, int) or isinstance(at, bool) or not isinstance(last, str):
        raise invalid_cursor()
    return at, last


async def handle_list_webhooks(request: web.Request) -> web.Response:
    """GET /api/boards/{boardId}/webhooks"""
    caller = await authenticated_caller(request)
    board_id = _id(request, "boardId", "board")
    endpoints = await request.app[WEBHOOK_SERVICE].list(caller, board_id)
    now = _now()
    return json_response(
        {"items": [endpoint_json(e, now) for e in endpoints], "eventTypes": list(EVENT_TYPES)}
    )


async def handle_create_webhook(request: web.Request) -> web.Response:
    """POST /api/boards/{boardId}/webhooks"""
    caller = await authenticated_caller(request)
    board_id = _id(request, "boardId", "board")
    body = await read_json(request, EndpointIn)
    now = _now()
    endpoint, secret = await request.app[WEBHOOK_SERVICE].create(
        caller, board_id, body.url, body.description, body.event_types, now
    )
    return json_response({**endpoint_json(endpoint, now), "secret": secret}, status=201)


async def handle_get_webhook(request: web.Request) -> web.Response:
    """GET /api/webhooks/{webhookId}"""
    caller = await authenticated_caller(request)
    endpoint = await request.app[WEBHOOK_SERVICE].get(caller, _id(request, "webhookId", "webhook"))
    return json_response(endpoint_json(endpoint, _now()))


async def handle_update_webhook(request: web.Request) -> web.Response:
    """PATCH /api/webhooks/{webhookId}"""
    caller = await authenticated_caller(request)
    webhook_id = _id(request, "webhookId", "webhook")
    body = await read_json(request, EndpointPatch)
    changes = Changes(
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        enabled=body.enabled,
    )
    now = _now()
    endpoint = await request.app[WEBHOOK_SERVICE].update(caller, webhook_id, changes, now)
    return json_response(endpoint_json(endpoint, now))


async def handle_delete_webhook(request: web.Request) -> web.Response:
    """DELETE /api/webhooks/{webhookId}"""
    caller = await authenticated_caller(request)
    await request.app[WEBHOOK_SERVICE].delete(caller, _id(request, "webhookId", "webhook"))
    return web.Response(status=204)


async def handle_rotate_secret(request: web.Request) -> web.Response:
    """POST /api/webhooks/{webhookId}/rotate-secret"""
    caller = await authenticated_caller(request)
    now = _now()
    endpoint, secret = await request.app[WEBHOOK_SERVICE].rotate_secret(
        caller, _id(request, "webhookId", "webhook"), now
    )
    return json_response({**endpoint_json(endpoint, now), "secret": secret})


async def handle_list_deliveries(request: web.Request) -> web.Response:
    """GET /api/webhooks/{webhookId}/deliveries"""
    caller = await authenticated_caller(request)
    webhook_id = _id(request, "webhookId", "webhook")
    query = validate(DeliveriesQuery, dict(request.query))
    page = await request.app[WEBHOOK_SERVICE].deliveries(
        caller, webhook_id, query.limit, _before(query.cursor)
    )
    return json_response(delivery_page_json(page))


async def handle_redeliver(request: web.Request) -> web.Response:
    """POST /api/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"""
    caller = await authenticated_caller(request)
    webhook_id = _id(request, "webhookId", "webhook")
    delivery_id = _id(request, "deliveryId", "delivery")
    service = request.app[WEBHOOK_SERVICE]
    await service.redeliver(caller, webhook_id, delivery_id, _now())
    delivery = await service.delivery(caller, webhook_id, delivery_id)
    return json_response(delivery_json(delivery), status=202)


_ONE = "/api/webhooks/{webhookId}"

OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/api/boards/{boardId}/webhooks",
        handle_list_webhooks,
        "A board's webhook endpoints (owners only) and the event types they may choose",
        TAG,
        response=EndpointList,
        errors=(403, 404),
    ),
    Operation(
        "POST",
        "/api/boards/{boardId}/webhooks",
        handle_create_webhook,
        "Register a webhook endpoint (owners only); the answer shows its secret, once",
        TAG,
        request=EndpointIn,
        response=EndpointWithSecret,
        status=201,
        errors=(403, 404, 409, 422),
    ),
    Operation(
        "GET",
        _ONE,
        handle_get_webhook,
        "A webhook endpoint",
        TAG,
        response=EndpointOut,
        errors=(403, 404),
    ),
    Operation(
        "PATCH",
        _ONE,
        handle_update_webhook,
        "Change a webhook endpoint: URL, description, event types, enabled",
        TAG,
        request=EndpointPatch,
        response=EndpointOut,
        errors=(403, 404, 422),
    ),
    Operation(
        "DELETE",
        _ONE,
        handle_delete_webhook,
        "Delete a webhook endpoint",
        TAG,
        status=204,
        errors=(403, 404),
    ),
    Operation(
        "POST",
        f"{_ONE}/rotate-secret",
        handle_rotate_secret,
        "A new secret (shown once); the previous one keeps signing beside it for the overlap",
        TAG,
        response=EndpointWithSecret,
        errors=(403, 404),
    ),
    Operation(
        "GET",
        f"{_ONE}/deliveries",
        handle_list_deliveries,
        "The endpoint's delivery log, newest first (opaque `cursor`)",
        TAG,
        query=DeliveriesQuery,
        response=DeliveryPageOut,
        errors=(403, 404, 422),
    ),
    Operation(
        "POST",
        f"{_ONE}/deliveries/{{deliveryId}}/redeliver",
        handle_redeliver,
        "Deliver one again, now (with a fresh retry window)",
        TAG,
        response=DeliveryOut,
        status=202,
        errors=(403, 404, 409),
    ),
]
