"""MongoDB adapters of the auth service; they own their collections' indexes.

- ``users``: ``{_id, email, name, passwordHash, createdAt}`` + the outbox of pending events
  (``outbox``, ``outboxPending``: see :mod:`hintro_shared.events.outbox`);
  ``email`` (normalised) has a unique index, which is what makes registration race-safe.
- ``refresh_tokens``: ``{_id: sha256(token), familyId, userId, issuedAt, expiresAt, spent}``,
  and once spent ``spentAt`` (epoch ms) and ``successor`` (sealed for the token's holder);
  a TTL index removes them once expired; ``userId`` is indexed (a password change revokes
  the user's other families).
- ``refresh_families``: ``{_id: familyId, revokedAt, expiresAt}``, only for revoked families.

Every correctness property rests on single-document atomicity (unique index, conditional
``find_one_and_update``), never on a multi-document transaction.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_auth.domain import EmailTaken, RefreshToken, User
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.outbox import outbox_fields, with_outbox
from hintro_shared.events.relay import ensure_outbox_index

Document = dict[str, Any]

USERS = "users"
REFRESH_TOKENS = "refresh_tokens"
REFRESH_FAMILIES = "refresh_families"
_USER_FIELDS = {"email": 1, "name": 1, "passwordHash": 1, "createdAt": 1}


def user_document(user: User) -> Document:
    """How a user is stored."""
    return {
        "_id": user.id,
        "email": user.email,
        "name": user.name,
        "passwordHash": user.password_hash,
        "createdAt": user.created_at,
    }


def _user(doc: Document) -> User:
    return User(
        id=doc["_id"],
        email=doc["email"],
        name=doc["name"],
        password_hash=doc["passwordHash"],
        created_at=doc["createdAt"],
    )


def _refresh_token(doc: Document) -> RefreshToken:
    return RefreshToken(
        token_hash=doc["_id"],
        family_id=doc["familyId"],
        user_id=doc["userId"],
        issued_at=doc["issuedAt"],
        expires_at=doc["expiresAt"],
        spent=bool(doc.get("spent")),
        spent_at_ms=doc.get("spentAt"),
        successor=doc.get("successor"),
    )


class MongoUsers:
    """Users in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._users: AsyncCollection[Document] = db[USERS]

    @property
    def collection(self) -> AsyncCollection[Document]:
        """The ``users`` collection (the outbox relay reads it too)."""
        return self._users

    async def create_indexes(self) -> None:
        """Create the indexes this repository relies on (idempotent)."""
        await self._users.create_index([("email", ASCENDING)], unique=True, name="email_unique")
        await ensure_outbox_index(self._users)

    async def add(self, user: User, event: EventEnvelope) -> None:
        """Insert the user with its event in its outbox (one document, one atomic write);
        ``EmailTaken`` when the unique index says the address is in use, and then no event
        exists."""
        try:
            await self._users.insert_one({**user_document(user), **outbox_fields(event)})
        except DuplicateKeyError:
            raise EmailTaken from None

    async def by_id(self, user_id: str) -> User | None:
        """The user with this id."""
        doc = await self._users.find_one({"_id": user_id}, _USER_FIELDS)
        return None if doc is None else _user(doc)

    async def by_email(self, email: str) -> User | None:
        """The user with this normalised address."""
        doc = await self._users.find_one({"email": email}, _USER_FIELDS)
        return None if doc is None else _user(doc)

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """Compare-and-set, so a concurrent password change is never overwritten."""
        await self._users.update_one(
            {"_id": user_id, "passwordHash": old_hash}, {"$set": {"passwordHash": new_hash}}
        )

    async def update(
        self,
        user_id: str,
        expected_hash: str,
        *,
        name: str | None,
        password_hash: str | None,
        event: EventEnvelope | None,
    ) -> bool:
        """Set the name and/or the hash if the stored hash is still ``expected_hash`` (a
        compare-and-set, so two password changes cannot both win); the name's event goes in
        the same write."""
        fields: Document = {}
        if name is not None:
            fields["name"] = name
        if password_hash is not None:
            fields["passwordHash"] = password_hash
        update: Document = {"$set": fields}
        if event is not None:
            update = with_outbox(update, event)
        result = await self._users.update_one(
            {"_id": user_id, "passwordHash": expected_hash}, update
        )
        return result.matched_count == 1


class MongoRefreshTokens:
    """Refresh tokens (by hash) and revoked families in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document], *, family_retention: timedelta) -> None:
        self._tokens: AsyncCollection[Document] = db[REFRESH_TOKENS]
        self._families: AsyncCollection[Document] = db[REFRESH_FAMILIES]
        # A revoked family must be remembered as long as any of its tokens could be presented.
        self._family_retention = family_retention

    async def create_indexes(self) -> None:
        """TTL indexes, so expired tokens and forgotten families clean themselves up."""
        await self._tokens.create_index(
            [("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"
        )
        await self._tokens.create_index([("userId", ASCENDING)], name="user")
        await self._families.create_index(
            [("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"
        )

    async def add(self, record: RefreshToken) -> None:
        """Store a newly issued token."""
        await self._tokens.insert_one(
            {
                "_id": record.token_hash,
                "familyId": record.family_id,
                "userId": record.user_id,
                "issuedAt": record.issued_at,
                "expiresAt": record.expires_at,
                "spent": False,
            }
        )

    async def spend(self, token_hash: str, spent_at_ms: int, successor: str) -> RefreshToken | None:
        """Mark the token spent (with when, and its sealed successor) if it is not yet; exactly
        one concurrent caller gets it."""
        doc = await self._tokens.find_one_and_update(
            {"_id": token_hash, "spent": False},
            # Epoch milliseconds, not a datetime: nx-27017 stores datetimes written by $set as
            # strings.
            {"$set": {"spent": True, "spentAt": spent_at_ms, "successor": successor}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _refresh_token(doc)

    async def discard(self, token_hash: str) -> None:
        """Delete a token that was stored but never handed out."""
        await self._tokens.delete_one({"_id": token_hash})

    async def find(self, token_hash: str) -> RefreshToken | None:
        """The token's record, spent or not."""
        doc = await self._tokens.find_one({"_id": token_hash})
        return None if doc is None else _refresh_token(doc)

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        """Record the family as revoked (an upsert: idempotent, and a racing duplicate upsert
        means someone else revoked it already). Only ``$setOnInsert``: the first revocation's
        times stand, and nx-27017 would store datetimes written by ``$set`` as strings."""
        with contextlib.suppress(DuplicateKeyError):
            await self._families.update_one(
                {"_id": family_id},
                {"$setOnInsert": {"revokedAt": now, "expiresAt": now + self._family_retention}},
                upsert=True,
            )

    async def families_of(self, user_id: str, now: datetime) -> set[str]:
        """The families of the user's unexpired tokens (spent ones included: a family lives
        on in its newest token, and revoking a family twice is harmless)."""
        cursor = self._tokens.find(
            {"userId": user_id, "expiresAt": {"$gt": now}}, {"familyId": 1, "_id": 0}
        )
        return {str(doc["familyId"]) async for doc in cursor}

    async def is_family_revoked(self, family_id: str) -> bool:
        """Whether the family was revoked."""
        return await self._families.find_one({"_id": family_id}, {"_id": 1}) is not None
