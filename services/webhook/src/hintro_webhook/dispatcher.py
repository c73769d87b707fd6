"""The dispatcher: works through the due deliveries, one attempt each, and records how it
went. Its state is all in MongoDB (the deliveries' status, next attempt and lease), so a
restart resumes where it was and several replicas can run it at once.

Order per endpoint (an endpoint belongs to one board, so this is order per board and
endpoint): a delivery is attempted only when no earlier delivery to its endpoint is pending,
so a later event waits while an earlier one is being retried. Endpoints are served side by
side, each one's deliveries one after the other.

A failed attempt is retried with exponential backoff and jitter until the retry window
(``WEBHOOK_RETRY_FOR_SECONDS`` from the event, or from a redelivery by hand) is over; then the
delivery fails and the next one goes. An endpoint whose attempts have failed without a single
success for ``WEBHOOK_DISABLE_AFTER_SECONDS`` is disabled, its pending deliveries fail, and a
``webhook.endpoint_disabled`` event, written in the same update as the endpoint, tells the
notification service to tell the owner who registered it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.fastpath import Outbox, SweeperOnly
from hintro_shared.timeutil import rfc3339
from hintro_webhook.domain import DeliveryStatus, Endpoint, RetryPolicy, short_error
from hintro_webhook.metrics import ATTEMPTS, ENDPOINTS_DISABLED
from hintro_webhook.repository import Deliveries, Endpoints
from hintro_webhook.sender import Outcome
from hintro_webhook.signing import headers

_log = logging.getLogger(__name__)

SOURCE = "hintro/webhook"
ENDPOINT_DISABLED = "webhook.endpoint_disabled"


class Send(Protocol):
    async def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome: ...


class Dispatcher:
    """One :meth:`step` attempts every delivery that is due and first in its endpoint's line."""

    def __init__(
        self,
        endpoints: Endpoints,
        deliveries: Deliveries,
        send: Send,
        *,
        policy: RetryPolicy,
        disable_after_ms: int,
        lease_ms: int,
        clock: Callable[[], int],
        outbox: Outbox | None = None,
        batch: int = 200,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._send = send
        self._policy = policy
        self._disable_after_ms = disable_after_ms
        self._lease_ms = lease_ms
        self._clock = clock
        self._outbox = outbox or SweeperOnly()
        self._batch = batch

    async def step(self) -> int:
        """Attempt what is due now; returns how many attempts were made."""
        now = self._clock()
        heads: dict[str, dict[str, Any]] = {}
        for doc in await self._deliveries.due(now, self._batch):
            endpoint_id = doc["endpointId"]
            if endpoint_id in heads or await self._deliveries.earlier_pending(doc):
                continue
            heads[endpoint_id] = doc
        claimed = [
            doc
            for doc in heads.values()
            if await self._deliveries.claim(doc["_id"], now, now + self._lease_ms)
        ]
        await asyncio.gather(*(self._attempt(doc) for doc in claimed))
        return len(claimed)

    async def _attempt(self, doc: dict[str, Any]) -> None:
        try:
            await self._attempt_one(doc)
        except Exception:
            # The lease runs out and the next step tries again.
            _log.exception("delivery attempt failed", extra={"deliveryId": doc["_id"]})

    async def _attempt_one(self, doc: dict[str, Any]) -> None:
        delivery_id, endpoint_id = str(doc["_id"]), str(doc["endpointId"])
        endpoint = await self._endpoints.get(endpoint_id)
        if endpoint is None:
            await self._deliveries.give_up(delivery_id, "endpoint deleted")
            return
        if not endpoint.enabled:
            await self._deliveries.give_up(delivery_id, "endpoint disabled")
            return
        now = self._clock()
        secrets = await self._endpoints.secrets(endpoint_id, now)
        body = str(doc["body"]).encode()
        outcome = await self._send(
            endpoint.url, body, headers(secrets, delivery_id, now // 1000, body)
        )
        done = self._clock()
        if outcome.ok:
            await self._deliveries.record(
                delivery_id,
                status=DeliveryStatus.DELIVERED,
                now_ms=done,
                next_attempt_ms=0,
                http_status=outcome.status,
                error=None,
            )
            await self._endpoints.succeeded(endpoint_id)
            ATTEMPTS.labels(outcome="delivered").inc()
            return
        attempts = int(doc.get("attempts") or 0) + 1
        window_start = int(doc.get("windowStart") or doc["createdAt"])
        next_at = self._policy.next_attempt(window_start, attempts, done)
        await self._deliveries.record(
            delivery_id,
            status=DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED,
            now_ms=done,
            next_attempt_ms=next_at or 0,
            http_status=outcome.status,
            error=short_error(outcome.error or "failed"),
        )
        ATTEMPTS.labels(outcome="retry" if next_at is not None else "gave_up").inc()
        _log.info(
            "delivery attempt failed",
            extra={
                "deliveryId": delivery_id,
                "endpointId": endpoint_id,
                "status": outcome.status,
                "error": outcome.error,
            },
        )
        failing_since = await self._endpoints.failed(endpoint_id, done)
        if done - failing_since >= self._disable_after_ms:
            await self.disable(endpoint, failing_since, done)

    async def disable(self, endpoint: Endpoint, failing_since: int, now: int) -> None:
        """Disable a failing endpoint, fail its pending deliveries, tell its owner."""
        reason = "failing for too long"
        event = _disabled_event(endpoint, reason, failing_since)
        if await self._endpoints.disable(endpoint.id, reason, now, event):
            self._outbox.written(endpoint.id)
            ENDPOINTS_DISABLED.inc()
            await self._deliveries.give_up_endpoint(endpoint.id, "endpoint disabled")
            _log.warning(
                "webhook endpoint disabled",
                extra={"endpointId": endpoint.id, "boardId": endpoint.board_id},
            )


def _disabled_event(endpoint: Endpoint, reason: str, failing_since: int) -> EventEnvelope:
    return new_event(
        ENDPOINT_DISABLED,
        source=SOURCE,
        board_id=endpoint.board_id,
        data={
            "endpointId": endpoint.id,
            "boardId": endpoint.board_id,
            "userId": endpoint.created_by,
            "url": endpoint.url,
            "reason": reason,
            "failingSince": rfc3339(datetime.fromtimestamp(failing_since / 1000, UTC)),
        },
    )
