"""The webhook service's use cases over small interfaces: an owner's endpoints (register,
read, change, enable or disable, delete, rotate the secret), the delivery log and a redelivery
by hand, and turning an event into the deliveries it owes (:meth:`WebhookService.enqueue`).
The attempts themselves are the dispatcher's (:mod:`hintro_webhook.dispatcher`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hintro_shared import jsonutil
from hintro_shared.authz import Action
from hintro_shared.caller import Caller
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.fastpath import Outbox, SweeperOnly
from hintro_shared.refusals import NotFound
from hintro_shared.timeutil import epoch_millis
from hintro_webhook.domain import (
    MAX_ENDPOINTS_PER_BOARD,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointDisabled,
    TooManyEndpoints,
    delivery_id,
    payload,
    require_event_types,
)
from hintro_webhook.repository import Document, delivery_from_doc
from hintro_webhook.signing import new_secret

WEBHOOK = "webhook"


class EndpointStore(Protocol):
    """Endpoints (see :class:`~hintro_webhook.repository.Endpoints`)."""

    async def insert(self, doc: Document) -> None: ...

    async def get(self, endpoint_id: str) -> Endpoint | None: ...

    async def of_board(self, board_id: str) -> list[Endpoint]: ...

    async def count_of_board(self, board_id: str) -> int: ...

    async def update(self, endpoint_id: str, sets: Document) -> Endpoint | None: ...

    async def delete(self, endpoint_id: str) -> bool: ...

    async def secrets(self, endpoint_id: str, now_ms: int) -> list[str]: ...


class DeliveryStore(Protocol):
    """Deliveries (see :class:`~hintro_webhook.repository.Deliveries`)."""

    async def insert(self, doc: Document) -> bool: ...

    async def get(self, delivery_id: str) -> Document | None: ...

    async def give_up_endpoint(self, endpoint_id: str, reason: str) -> int: ...

    async def requeue(self, delivery_id: str, endpoint_id: str, now_ms: int) -> bool: ...

    async def page(
        self, endpoint_id: str, limit: int, before: tuple[int, str] | None
    ) -> list[Delivery]: ...


class Owners(Protocol):
    """Who may manage a board's webhooks (see ``boardview.BoardReaders.require``)."""

    async def require(
        self, board_id: str, caller: Caller, action: Action, *, what: str = "board"
    ) -> object: ...


class UrlChecker(Protocol):
    """Refuses a URL that may not be registered (see ``Sender.check``)."""

    async def check(self, url: str) -> None: ...


class Wake(Protocol):
    """Tells the dispatcher there is work now."""

    def __call__(self) -> None: ...


@dataclass(frozen=True)
class Changes:
    """A PATCH: only what is not ``None`` changes."""

    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class DeliveryPage:
    items: list[Delivery]
    next: tuple[int, str] | None


def _nothing() -> None:
    return None


class WebhookService:
    """Endpoints, the delivery log and enqueueing."""

    def __init__(
        self,
        endpoints: EndpointStore,
        deliveries: DeliveryStore,
        owners: Owners,
        urls: UrlChecker,
        *,
        outbox: Outbox | None = None,
        wake: Wake = _nothing,
        secret_overlap_ms: int = 24 * 3_600_000,
        settle_ms: int = 0,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._owners = owners
        self._urls = urls
        self._outbox = outbox or SweeperOnly()
        self._wake = wake
        self._overlap_ms = secret_overlap_ms
        self._settle_ms = settle_ms

    # --- endpoints -------------------------------------------------------------------------

    async def _owned(self, caller: Caller, endpoint_id: str) -> Endpoint:
        endpoint = await self._endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound(WEBHOOK)
        await self._owners.require(endpoint.board_id, caller, Action.MANAGE_WEBHOOKS, what=WEBHOOK)
        return endpoint

    async def create(
        self,
        caller: Caller,
        board_id: str,
        url: str,
        description: str,
        event_types: Sequence[str],
        now_ms: int,
    ) -> tuple[Endpoint, str]:
        """Register an endpoint; returns it with its secret (the only time it is shown)."""
        await self._owners.require(board_id, caller, Action.MANAGE_WEBHOOKS)
        types = require_event_types(event_types)
        await self._urls.check(url)
        if await self._endpoints.count_of_board(board_id) >= MAX_ENDPOINTS_PER_BOARD:
            raise TooManyEndpoints()
        endpoint_id, secret = uuid.uuid4().hex, new_secret()
        await self._endpoints.insert(
            {
                "_id": endpoint_id,
                "boardId": board_id,
                "url": url,
                "description": description,
                "eventTypes": list(types),
                "enabled": 1,
                "disabledReason": "",
                "createdBy": caller.user_id,
                "createdAt": now_ms,
                "updatedAt": now_ms,
                "failingSince": 0,
                "secret": secret,
                "previousSecret": "",
                "previousSecretUntil": 0,
            }
        )
        endpoint = await self._endpoints.get(endpoint_id)
        assert endpoint is not None
        return endpoint, secret

    async def list(self, caller: Caller, board_id: str) -> list[Endpoint]:
        await self._owners.require(board_id, caller, Action.MANAGE_WEBHOOKS)
        return await self._endpoints.of_board(board_id)

    async def get(self, caller: Caller, endpoint_id: str) -> Endpoint:
        return await self._owned(caller, endpoint_id)

    async def update(
        self, caller: Caller, endpoint_id: str, changes: Changes, now_ms: int
    ) -> Endpoint:
        endpoint = await self._owned(caller, endpoint_id)
        sets: Document = {"updatedAt": now_ms}
        if changes.event_types is not None:
            sets["eventTypes"] = list(require_event_types(changes.event_types))
        if changes.url is not None and changes.url != endpoint.url:
            await self._urls.check(changes.url)
            sets["url"] = changes.url
        if changes.description is not None:
            sets["description"] = changes.description
        if changes.enabled is not None and changes.enabled != endpoint.enabled:
            sets["enabled"] = int(changes.enabled)
            sets["disabledReason"] = "" if changes.enabled else "disabled by an owner"
            sets["failingSince"] = 0
        updated = await self._endpoints.update(endpoint_id, sets)
        if updated is None:
            raise NotFound(WEBHOOK)
        if changes.enabled is False and endpoint.enabled:
            await self._deliveries.give_up_endpoint(endpoint_id, "endpoint disabled")
        return updated

    async def delete(self, caller: Caller, endpoint_id: str) -> None:
        await self._owned(caller, endpoint_id)
        if not await self._endpoints.delete(endpoint_id):
            raise NotFound(WEBHOOK)
        self._outbox.written(endpoint_id)  # the relay removes the tombstone
        await self._deliveries.give_up_endpoint(endpoint_id, "endpoint deleted")

    async def rotate_secret(
        self, caller: Caller, endpoint_id: str, now_ms: int
    ) -> tuple[Endpoint, str]:
        """A new secret; the current one keeps signing (beside it) for the overlap."""
        await self._owned(caller, endpoint_id)
        current = await self._current_secret(endpoint_id)
        secret = new_secret()
        updated = await self._endpoints.update(
            endpoint_id,
            {
                "secret": secret,
                "previousSecret": current,
                "previousSecretUntil": now_ms + self._overlap_ms,
                "updatedAt": now_ms,
            },
        )
        if updated is None:
            raise NotFound(WEBHOOK)
        return updated, secret

    async def _current_secret(self, endpoint_id: str) -> str:
        secrets = await self._endpoints.secrets(endpoint_id, 0)
        return secrets[0] if secrets else ""

    # --- the delivery log ------------------------------------------------------------------

    async def deliveries(
        self, caller: Caller, endpoint_id: str, limit: int, before: tuple[int, str] | None
    ) -> DeliveryPage:
        await self._owned(caller, endpoint_id)
        items = await self._deliveries.page(endpoint_id, limit + 1, before)
        last = items[limit - 1] if len(items) > limit else None
        return DeliveryPage(
            items=items[:limit], next=None if last is None else (last.created_at_ms, last.id)
        )

    async def redeliver(
        self, caller: Caller, endpoint_id: str, delivery_id_: str, now_ms: int
    ) -> None:
        endpoint = await self._owned(caller, endpoint_id)
        if not endpoint.enabled:
            raise EndpointDisabled()
        if not await self._deliveries.requeue(delivery_id_, endpoint_id, now_ms):
            raise NotFound("delivery")
        self._wake()

    async def delivery(self, caller: Caller, endpoint_id: str, delivery_id_: str) -> Delivery:
        await self._owned(caller, endpoint_id)
        doc = await self._deliveries.get(delivery_id_)
        if doc is None or doc.get("endpointId") != endpoint_id:
            raise NotFound("delivery")
        return delivery_from_doc(doc)

    # --- events in -------------------------------------------------------------------------

    async def enqueue(self, envelope: EventEnvelope, now_ms: int) -> int:
        """The deliveries an event owes: one per enabled endpoint of its board that chose its
        type; returns how many were new (a redelivered event adds none)."""
        board_id = envelope.board_id or _board_of(envelope.data)
        if board_id is None:
            return 0
        created = 0
        body: str | None = None
        for endpoint in await self._endpoints.of_board(board_id):
            if not endpoint.enabled or envelope.type not in endpoint.event_types:
                continue
            if body is None:
                time = envelope.to_dict()["time"]
                body = jsonutil.dumps_bytes(
                    payload(envelope.type, envelope.id, time, board_id, envelope.data)
                ).decode()
            doc: Document = {
                "_id": delivery_id(envelope.id, endpoint.id),
                "endpointId": endpoint.id,
                "boardId": board_id,
                "eventId": envelope.id,
                "eventType": envelope.type,
                "order": epoch_millis(envelope.time),
                "body": body,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "createdAt": now_ms,
                "windowStart": now_ms,
                "nextAttemptAt": now_ms + self._settle_ms,
                "lease": 0,
                "lastAttemptAt": 0,
                "lastStatus": 0,
                "lastError": "",
                "deliveredAt": 0,
            }
            if await self._deliveries.insert(doc):
                created += 1
        if created:
            self._wake()
        return created


def _board_of(data: dict[str, Any]) -> str | None:
    value = data.get("boardId")
    return value if isinstance(value, str) else None
