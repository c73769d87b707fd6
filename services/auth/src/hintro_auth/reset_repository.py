"""Password reset tokens in MongoDB (see :mod:`hintro_auth.resets`).

Documents::

    password_resets: {_id: sha256(token), userId, createdAt, expiresAt, expiresMs,
                      usedAt: 0 | ms}
                     TTL on expiresAt (they clean themselves up), userId (spend all)
    password_reset_quotas: {_id: "quota:<userId>", windowStart: ms, count}: links mailed in
                     the current window (a compare-and-set counter)

The token itself is never stored. ``usedAt`` is a number so the claim's compare-and-set
(``usedAt: 0`` → now) behaves the same on nx-27017 and MongoDB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_auth.resets import ResetToken
from hintro_shared.timeutil import epoch_millis, stored_time

Document = dict[str, Any]
PASSWORD_RESETS = "password_resets"  # noqa: S105


class MongoPasswordResets:
    """The ``password_resets`` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._resets: AsyncCollection[Document] = db[PASSWORD_RESETS]
        self._quotas: AsyncCollection[Document] = db["password_reset_quotas"]

    async def create_indexes(self) -> None:
        await self._resets.create_index(
            [("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"
        )
        await self._resets.create_index([("userId", ASCENDING)], name="user")

    async def add(self, record: ResetToken) -> None:
        await self._resets.insert_one(
            {
                "_id": record.token_hash,
                "userId": record.user_id,
                "createdAt": record.created_at,
                "expiresAt": record.expires_at,
                "expiresMs": epoch_millis(record.expires_at),
                "usedAt": 0,
            }
        )

    async def take_quota(self, user_id: str, now: datetime, limit: int, window_ms: int) -> bool:
        """Count one more link in the user's current window of ``window_ms``; ``False`` when
        ``limit`` were counted already. Compare-and-set on one document per user, so racing
        requests (several replicas) cannot exceed it."""
        at = epoch_millis(now)
        key = f"quota:{user_id}"
        for _ in range(3):
            counted = await self._quotas.update_one(
                {"_id": key, "windowStart": {"$gt": at - window_ms}, "count": {"$lt": limit}},
                {"$inc": {"count": 1}},
            )
            if counted.modified_count == 1:
                return True
            renewed = await self._quotas.update_one(
                {"_id": key, "windowStart": {"$lte": at - window_ms}},
                {"$set": {"windowStart": at, "count": 1}},
            )
            if renewed.modified_count == 1:
                return True
            if await self._quotas.find_one({"_id": key}, {"_id": 1}) is not None:
                return False  # a live window, full
            try:
                await self._quotas.insert_one({"_id": key, "windowStart": at, "count": 1})
            except DuplicateKeyError:
                continue  # a racing first request made it: count against it
            return True
        return False

    async def find_live(self, token_hash: str, now: datetime) -> ResetToken | None:
        doc = await self._resets.find_one(
            {"_id": token_hash, "usedAt": 0, "expiresMs": {"$gt": epoch_millis(now)}}
        )
        if doc is None:
            return None
        return ResetToken(
            token_hash=doc["_id"],
            user_id=doc["userId"],
            created_at=stored_time(doc["createdAt"]),
            expires_at=stored_time(doc["expiresAt"]),
        )

    async def claim(self, token_hash: str, now: datetime) -> bool:
        """Use the token up, if it still is live: exactly one of two racing claims wins."""
        result = await self._resets.update_one(
            {"_id": token_hash, "usedAt": 0, "expiresMs": {"$gt": epoch_millis(now)}},
            {"$set": {"usedAt": epoch_millis(now)}},
        )
        return result.modified_count == 1

    async def spend_all(self, user_id: str, now: datetime) -> None:
        """Use up every other link of the user (a reset makes the older links worthless)."""
        await self._resets.update_many(
            {"userId": user_id, "usedAt": 0}, {"$set": {"usedAt": epoch_millis(now)}}
        )
