"""Conformance of the MongoDB operations the auth repositories rely on, against whatever server
``MONGO_URL`` points at (nx-27017 in CI, a real MongoDB when pointed there): the unique index,
the conditional spend under concurrency, idempotent revocation, compare-and-set of a hash and
datetimes that round-trip."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hintro_auth.domain import EmailTaken, issue_refresh_token, new_user, utc_now
from hintro_auth.repository import MongoRefreshTokens, MongoUsers
from hintro_shared.events.catalogue import UserRegistered
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.outbox import PENDING
from hintro_testkit.infra import mongo_url, unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def db() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url(), tz_aware=True)
    name = unique("test_auth_repo")
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def users(db: AsyncDatabase[dict[str, Any]]) -> MongoUsers:
    repository = MongoUsers(db)
    await repository.create_indexes()
    return repository


def _event(user_id: str, email: str) -> EventEnvelope:
    return new_event(
        "user.registered",
        source="test",
        data=UserRegistered(user_id=user_id, email=email, name="N"),
    )


async def test_user_and_its_event_are_one_document_and_duplicates_are_refused(
    db: AsyncDatabase[dict[str, Any]], users: MongoUsers
) -> None:
    await users.create_indexes()  # idempotent
    user = new_user("ada@example.com", "Ada", "hash-1", utc_now())
    await users.add(user, _event(user.id, user.email))
    stored = await users.by_email("ada@example.com")
    assert stored == user  # datetimes round-trip at millisecond precision
    raw = await db["users"].find_one({"_id": user.id})
    assert raw is not None
    assert raw[PENDING] == 1
    twin = new_user("ADA@example.com", "Twin", "hash-2", utc_now())
    with pytest.raises(EmailTaken):
        await users.add(twin, _event(twin.id, twin.email))
    assert await users.by_id(twin.id) is None


async def test_password_hash_is_replaced_only_if_unchanged(users: MongoUsers) -> None:
    user = new_user("grace@example.com", "Grace", "old", utc_now())
    await users.add(user, _event(user.id, user.email))
    await users.replace_password_hash(user.id, "stale", "lost")
    assert (await users.by_id(user.id)) == user
    await users.replace_password_hash(user.id, "old", "new")
    stored = await users.by_id(user.id)
    assert stored is not None
    assert stored.password_hash == "new"


async def test_concurrent_spends_of_one_token_have_exactly_one_winner(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    tokens = MongoRefreshTokens(db, family_retention=timedelta(days=31))
    await tokens.create_indexes()
    _, record = issue_refresh_token("user-1", "family-1", utc_now(), timedelta(days=30))
    await tokens.add(record)
    results = await asyncio.gather(
        *(tokens.spend(record.token_hash, 1_700_000_000_000 + n, f"sealed-{n}") for n in range(10))
    )
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert winners[0].spent
    assert winners[0].expires_at == record.expires_at
    found = await tokens.find(record.token_hash)
    assert found is not None
    assert found.spent
    # The winner's spend time and successor are the ones kept, read back as written.
    assert (found.spent_at_ms, found.successor) == (winners[0].spent_at_ms, winners[0].successor)
    assert isinstance(found.spent_at_ms, int)
    assert found.successor is not None
    assert found.successor.startswith("sealed-")
    assert await tokens.spend("unknown-hash", 0, "sealed") is None
    await tokens.discard(record.token_hash)
    assert await tokens.find(record.token_hash) is None


async def test_family_revocation_is_idempotent_and_concurrency_safe(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    tokens = MongoRefreshTokens(db, family_retention=timedelta(days=31))
    await tokens.create_indexes()
    assert not await tokens.is_family_revoked("family-1")
    now = utc_now()
    await asyncio.gather(*(tokens.revoke_family("family-1", now) for _ in range(5)))
    await tokens.revoke_family("family-1", now + timedelta(seconds=5))
    assert await tokens.is_family_revoked("family-1")
    assert not await tokens.is_family_revoked("family-2")
    assert await db["refresh_families"].count_documents({}) == 1
    doc = await db["refresh_families"].find_one({"_id": "family-1"})
    assert doc is not None
    assert doc["revokedAt"] == now
    assert doc["expiresAt"] == now + timedelta(days=31)
