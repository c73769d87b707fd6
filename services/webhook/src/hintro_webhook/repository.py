"""The webhook service's storage in MongoDB: endpoints (with their secrets and their outbox)
and deliveries (the durable queue and the delivery log at once).

Documents::

    endpoints:  {_id, boardId, url, description, eventTypes: [...], enabled: 0|1,
                 disabledReason, createdBy, createdAt: ms, updatedAt: ms,
                 failingSince: ms | 0, secret, previousSecret, previousSecretUntil: ms | 0,
                 outbox: {...webhook.endpoint_disabled...}, outboxPending, deleted?}
                (boardId, createdAt): a board's endpoints
    deliveries: {_id: delivery id, endpointId, boardId, eventId, eventType, order: event ms,
                 body: the JSON text sent on every attempt, status, attempts, createdAt: ms,
                 windowStart: ms (retries stop a window after it), nextAttemptAt: ms | 0,
                 lease: ms (claimed by a dispatcher until then), lastAttemptAt, lastStatus,
                 lastError, deliveredAt}
                (status, nextAttemptAt): what is due; (endpointId, status, order): an
                endpoint's earliest pending delivery; (endpointId, createdAt): the log

A deletion tombstones the endpoint (the outbox relay removes it once any pending event is
out). Flags selected on are numbers and strings, never booleans or nulls, which behave the same
on nx-27017 and MongoDB. Secrets leave this module only through :meth:`Endpoints.secrets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import DELETED, DELETED_AT, LIVE, PENDING, with_outbox
from hintro_shared.events.relay import Collection, ensure_outbox_index
from hintro_shared.pagination import older_than
from hintro_webhook.domain import Delivery, DeliveryStatus, Endpoint

Document = dict[str, Any]
ENDPOINTS = "endpoints"
DELIVERIES = "deliveries"
_NO_SECRETS: Document = {"secret": 0, "previousSecret": 0, "outbox": 0, "outboxPending": 0}


def endpoint_from_doc(doc: Mapping[str, Any]) -> Endpoint:
    return Endpoint(
        id=str(doc["_id"]),
        board_id=doc["boardId"],
        url=doc["url"],
        description=doc.get("description") or "",
        event_types=tuple(doc.get("eventTypes") or ()),
        enabled=bool(doc.get("enabled")),
        disabled_reason=doc.get("disabledReason") or None,
        created_by=doc["createdBy"],
        created_at_ms=int(doc["createdAt"]),
        updated_at_ms=int(doc.get("updatedAt") or doc["createdAt"]),
        failing_since_ms=int(doc.get("failingSince") or 0),
        previous_secret_until_ms=int(doc.get("previousSecretUntil") or 0),
    )


def delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    return Delivery(
        id=str(doc["_id"]),
        endpoint_id=doc["endpointId"],
        board_id=doc["boardId"],
        event_id=doc["eventId"],
        event_type=doc["eventType"],
        status=DeliveryStatus(doc["status"]),
        attempts=int(doc.get("attempts") or 0),
        created_at_ms=int(doc["createdAt"]),
        next_attempt_ms=int(doc.get("nextAttemptAt") or 0),
        last_attempt_ms=int(doc.get("lastAttemptAt") or 0),
        last_status_code=int(doc.get("lastStatus") or 0),
        last_error=doc.get("lastError") or None,
        delivered_at_ms=int(doc.get("deliveredAt") or 0),
    )


def _live(filter_: Document) -> Document:
    return {"$and": [filter_, LIVE]}


class Endpoints:
    """Registered endpoints."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db[ENDPOINTS]

    async def create_indexes(self) -> None:
        c = self.collection
        await c.create_index([("boardId", ASCENDING), ("createdAt", ASCENDING)], name="board")
        await ensure_outbox_index(c)

    async def insert(self, doc: Document) -> None:
        await self.collection.insert_one(doc)

    async def get(self, endpoint_id: str) -> Endpoint | None:
        doc = await self.collection.find_one(_live({"_id": endpoint_id}), _NO_SECRETS)
        return None if doc is None else endpoint_from_doc(doc)

    async def secrets(self, endpoint_id: str, now_ms: int) -> list[str]:
        """The secrets that sign for the endpoint now: its own, then the previous one while
        the rotation's overlap lasts."""
        doc = await self.collection.find_one(
            {"_id": endpoint_id}, {"secret": 1, "previousSecret": 1, "previousSecretUntil": 1}
        )
        if doc is None:
            return []
        live = [str(doc["secret"])]
        if doc.get("previousSecret") and int(doc.get("previousSecretUntil") or 0) > now_ms:
            live.append(str(doc["previousSecret"]))
        return live

    async def of_board(self, board_id: str) -> list[Endpoint]:
        cursor = self.collection.find(_live({"boardId": board_id}), _NO_SECRETS).sort(
            [("createdAt", ASCENDING), ("_id", ASCENDING)]
        )
        return [endpoint_from_doc(doc) async for doc in cursor]

    async def count_of_board(self, board_id: str) -> int:
        return await self.collection.count_documents(_live({"boardId": board_id}))

    async def update(self, endpoint_id: str, sets: Document) -> Endpoint | None:
        await self.collection.update_one(_live({"_id": endpoint_id}), {"$set": sets})
        return await self.get(endpoint_id)

    async def delete(self, endpoint_id: str) -> bool:
        """Tombstone the endpoint: the relay deletes it once any notice in its outbox is out
        (at once when there is none, or at the sweeper's next pass)."""
        tombstone = {"$set": {DELETED: True, DELETED_AT: datetime.now(UTC)}, "$inc": {PENDING: 0}}
        result = await self.collection.update_one(_live({"_id": endpoint_id}), tombstone)
        return bool(result.modified_count == 1)

    async def succeeded(self, endpoint_id: str) -> None:
        await self.collection.update_one(
            {"_id": endpoint_id, "failingSince": {"$gt": 0}}, {"$set": {"failingSince": 0}}
        )

    async def failed(self, endpoint_id: str, now_ms: int) -> int:
        """Start the failure streak if none is running; returns when it started."""
        await self.collection.update_one(
            {"_id": endpoint_id, "failingSince": 0}, {"$set": {"failingSince": now_ms}}
        )
        doc = await self.collection.find_one({"_id": endpoint_id}, {"failingSince": 1})
        return int((doc or {}).get("failingSince") or now_ms)

    async def disable(
        self, endpoint_id: str, reason: str, now_ms: int, event: EventEnvelope | None
    ) -> bool:
        """Disable an enabled endpoint (with its notice, if any, in the same write)."""
        update: Document = {"$set": {"enabled": 0, "disabledReason": reason, "updatedAt": now_ms}}
        if event is not None:
            update = with_outbox(update, event)
        result = await self.collection.update_one(_live({"_id": endpoint_id, "enabled": 1}), update)
        return bool(result.modified_count == 1)


class Deliveries:
    """Deliveries: the queue the dispatcher works through and the log owners read."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: Collection = db[DELIVERIES]

    async def create_indexes(self) -> None:
        c = self.collection
        await c.create_index([("status", ASCENDING), ("nextAttemptAt", ASCENDING)], name="due")
        await c.create_index(
            [("endpointId", ASCENDING), ("status", ASCENDING), ("order", ASCENDING)],
            name="endpoint_pending",
        )
        await c.create_index(
            [("endpointId", ASCENDING), ("createdAt", DESCENDING)], name="endpoint_log"
        )

    async def insert(self, doc: Document) -> bool:
        """``False`` when the delivery exists already (the event was redelivered)."""
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, delivery_id: str) -> Document | None:
        doc: Document | None = await self.collection.find_one({"_id": delivery_id})
        return doc

    async def due(self, now_ms: int, limit: int) -> list[Document]:
        """Pending deliveries whose next attempt is due and that nobody holds, oldest first."""
        cursor = (
            self.collection.find(
                {
                    "status": DeliveryStatus.PENDING.value,
                    "nextAttemptAt": {"$lte": now_ms},
                    "lease": {"$lt": now_ms},
                }
            )
            .sort([("order", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def earlier_pending(self, doc: Mapping[str, Any]) -> bool:
        """Whether a delivery to the same endpoint that comes before ``doc`` is pending."""
        order, doc_id = doc["order"], doc["_id"]
        earlier = await self.collection.find_one(
            {
                "endpointId": doc["endpointId"],
                "status": DeliveryStatus.PENDING.value,
                "$or": [{"order": {"$lt": order}}, {"order": order, "_id": {"$lt": doc_id}}],
            },
            {"_id": 1},
        )
        return earlier is not None

    async def claim(self, delivery_id: str, now_ms: int, until_ms: int) -> bool:
        result = await self.collection.update_one(
            {"_id": delivery_id, "status": DeliveryStatus.PENDING.value, "lease": {"$lt": now_ms}},
            {"$set": {"lease": until_ms}},
        )
        return bool(result.modified_count == 1)

    async def record(
        self,
        delivery_id: str,
        *,
        status: DeliveryStatus,
        now_ms: int,
        next_attempt_ms: int,
        http_status: int,
        error: str | None,
    ) -> None:
        sets: Document = {
            "status": status.value,
            "lastAttemptAt": now_ms,
            "lastStatus": http_status,
            "lastError": error or "",
            "nextAttemptAt": next_attempt_ms,
            "lease": 0,
        }
        if status is DeliveryStatus.DELIVERED:
            sets["deliveredAt"] = now_ms
        await self.collection.update_one(
            {"_id": delivery_id}, {"$set": sets, "$inc": {"attempts": 1}}
        )

    async def give_up(self, delivery_id: str, reason: str) -> None:
        await self.collection.update_one(
            {"_id": delivery_id, "status": DeliveryStatus.PENDING.value},
            {"$set": {"status": "failed", "lastError": reason, "nextAttemptAt": 0, "lease": 0}},
        )

    async def give_up_endpoint(self, endpoint_id: str, reason: str) -> int:
        result = await self.collection.update_many(
            {"endpointId": endpoint_id, "status": DeliveryStatus.PENDING.value},
            {"$set": {"status": "failed", "lastError": reason, "nextAttemptAt": 0, "lease": 0}},
        )
        return int(result.modified_count)

    async def requeue(self, delivery_id: str, endpoint_id: str, now_ms: int) -> bool:
        """Make a delivery pending again, due now, with a fresh retry window."""
        result = await self.collection.update_one(
            {"_id": delivery_id, "endpointId": endpoint_id},
            {
                "$set": {
                    "status": DeliveryStatus.PENDING.value,
                    "nextAttemptAt": now_ms,
                    "windowStart": now_ms,
                    "lease": 0,
                }
            },
        )
        return bool(result.matched_count == 1)

    async def page(
        self, endpoint_id: str, limit: int, before: tuple[int, str] | None
    ) -> list[Delivery]:
        """Up to ``limit`` of the endpoint's deliveries older than ``before``, newest first."""
        query: Document = older_than({"endpointId": endpoint_id}, before)
        cursor = (
            self.collection.find(query, {"body": 0})
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [delivery_from_doc(doc) async for doc in cursor]
