"""Query, request and response schemas of the webhook routes (camelCase on the wire; unknown
fields and query parameters refused)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hintro_shared.pagination import encode_cursor
from hintro_shared.timeutil import rfc3339
from hintro_webhook.domain import (
    DEFAULT_LIMIT,
    MAX_DESCRIPTION,
    MAX_LIMIT,
    MAX_URL_LENGTH,
    Delivery,
    Endpoint,
)
from hintro_webhook.service import DeliveryPage

_QUERY = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)
_REQUEST = ConfigDict(
    alias_generator=to_camel, validate_by_name=False, validate_by_alias=True, extra="forbid"
)
_RESPONSE = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EndpointIn(BaseModel):
    """``POST /api/boards/{boardId}/webhooks``."""

    model_config = _REQUEST

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="Where to POST deliveries: https, a public address.",
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    event_types: list[str] = Field(
        min_length=1, max_length=64, description="The event types to receive (docs/events.md)."
    )


class EndpointPatch(BaseModel):
    """``PATCH /api/webhooks/{webhookId}``: only the fields given change."""

    model_config = _REQUEST

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=64)
    enabled: bool | None = None


class EndpointOut(BaseModel):
    """An endpoint (never its secret)."""

    model_config = _RESPONSE

    id: str
    board_id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why it is disabled; null when enabled.")
    created_by: str
    created_at: str
    updated_at: str
    failing_since: str | None = Field(
        description="Since when attempts have failed without a success; null when healthy."
    )
    previous_secret_until: str | None = Field(
        description="Until when the previous secret still signs (after a rotation)."
    )


class EndpointWithSecret(EndpointOut):
    """An endpoint just created or rotated, with its secret: shown this once."""

    secret: str = Field(description="`whsec_` + base64: verify `webhook-signature` with it.")


class EndpointList(BaseModel):
    model_config = _RESPONSE

    items: list[EndpointOut]
    event_types: list[str] = Field(description="Every event type an endpoint may choose.")


class DeliveriesQuery(BaseModel):
    """``?limit=&cursor=``: an endpoint's deliveries newest first."""

    model_config = _QUERY

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None, max_length=512, description="The previous page's `next` (opaque)."
    )


class DeliveryOut(BaseModel):
    """One delivery and how its attempts went."""

    model_config = _RESPONSE

    id: str = Field(description="Also the `webhook-id` header of every attempt.")
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(ge=0)
    created_at: str
    last_attempt_at: str | None
    last_status_code: int | None = Field(description="The last HTTP answer; null if none.")
    last_error: str | None
    next_attempt_at: str | None = Field(description="When it is tried next, while pending.")
    delivered_at: str | None


class DeliveryPageOut(BaseModel):
    model_config = _RESPONSE

    items: list[DeliveryOut]
    next: str | None = Field(description="The `cursor` of the next (older) page; null at the end.")


def _text(ms: int) -> str | None:
    return None if ms <= 0 else rfc3339(datetime.fromtimestamp(ms / 1000, UTC))


def endpoint_json(endpoint: Endpoint, now_ms: int) -> dict[str, Any]:
    until = endpoint.previous_secret_until_ms
    return {
        "id": endpoint.id,
        "boardId": endpoint.board_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "eventTypes": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabledReason": None if endpoint.enabled else (endpoint.disabled_reason or None),
        "createdBy": endpoint.created_by,
        "createdAt": _text(endpoint.created_at_ms),
        "updatedAt": _text(endpoint.updated_at_ms),
        "failingSince": _text(endpoint.failing_since_ms),
        "previousSecretUntil": _text(until) if until > now_ms else None,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    pending = delivery.status.value == "pending"
    return {
        "id": delivery.id,
        "endpointId": delivery.endpoint_id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "createdAt": _text(delivery.created_at_ms),
        "lastAttemptAt": _text(delivery.last_attempt_ms),
        "lastStatusCode": delivery.last_status_code or None,
        "lastError": delivery.last_error,
        "nextAttemptAt": _text(delivery.next_attempt_ms) if pending else None,
        "deliveredAt": _text(delivery.delivered_at_ms),
    }


def delivery_page_json(page: DeliveryPage) -> dict[str, Any]:
    return {
        "items": [delivery_json(d) for d in page.items],
        "next": None
        if page.next is None
        else encode_cursor({"t": page.next[0], "i": page.next[1]}),
    }
