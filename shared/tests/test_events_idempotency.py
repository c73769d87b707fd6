"""Idempotent consumer effects: duplicates and races have exactly one effect, guarded in the
document the effect writes."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.events import apply_if_newer, apply_once, insert_once
from hintro_shared.events.idempotency import APPLIED_EVENTS, trim_applied

Doc = dict[str, Any]

pytestmark = pytest.mark.integration


async def test_version_guard_creates_applies_newer_and_ignores_older_or_equal(
    db: AsyncDatabase[Doc],
) -> None:
    tasks = db.tasks
    assert await apply_if_newer(tasks, {"_id": "t1"}, 2, {"title": "two"})
    assert not await apply_if_newer(tasks, {"_id": "t1"}, 2, {"title": "two again"})
    assert not await apply_if_newer(tasks, {"_id": "t1"}, 1, {"title": "one"})
    assert await apply_if_newer(tasks, {"_id": "t1"}, 3, {"title": "three"})
    assert await tasks.find_one({"_id": "t1"}) == {"_id": "t1", "title": "three", "version": 3}


async def test_version_guard_under_concurrent_out_of_order_delivery_keeps_the_newest(
    db: AsyncDatabase[Doc],
) -> None:
    versions = list(range(1, 13)) * 2  # every version twice: duplicates too
    random.Random(7).shuffle(versions)
    await asyncio.gather(
        *(apply_if_newer(db.tasks, {"_id": "t1"}, v, {"title": f"v{v}"}) for v in versions)
    )
    assert await db.tasks.find_one({"_id": "t1"}) == {"_id": "t1", "title": "v12", "version": 12}


async def test_version_guard_without_upsert_ignores_a_missing_document(
    db: AsyncDatabase[Doc],
) -> None:
    assert not await apply_if_newer(db.tasks, {"_id": "gone"}, 5, {"title": "x"}, upsert=False)
    assert await db.tasks.count_documents({}) == 0


async def test_applied_events_guard_counts_each_event_once(db: AsyncDatabase[Doc]) -> None:
    await db.boards.insert_one({"_id": "b1", "tasks": 0})
    results = [
        await apply_once(db.boards, {"_id": "b1"}, event_id, {"$inc": {"tasks": 1}})
        for event_id in ["e1", "e2", "e1", "e2", "e3"]
    ]
    assert results == [True, True, False, False, True]
    doc = await db.boards.find_one({"_id": "b1"})
    assert doc is not None
    assert doc["tasks"] == 3
    assert set(doc[APPLIED_EVENTS]) == {"e1", "e2", "e3"}


async def test_applied_events_guard_under_concurrent_duplicates_and_upserts(
    db: AsyncDatabase[Doc],
) -> None:
    deliveries = ["e1", "e2", "e3"] * 4
    random.Random(3).shuffle(deliveries)
    results = await asyncio.gather(
        *(
            apply_once(db.counters, {"_id": "c"}, event_id, {"$inc": {"n": 1}}, upsert=True)
            for event_id in deliveries
        )
    )
    assert results.count(True) == 3
    doc = await db.counters.find_one({"_id": "c"})
    assert doc is not None
    assert doc["n"] == 3


async def test_applied_events_are_trimmed_to_the_newest(db: AsyncDatabase[Doc]) -> None:
    await db.boards.insert_one({"_id": "b1", "n": 0})
    for number in range(6):
        await apply_once(db.boards, {"_id": "b1"}, f"e{number}", {"$inc": {"n": 1}}, keep=3)
    doc = await db.boards.find_one({"_id": "b1"})
    assert doc is not None
    assert sorted(doc[APPLIED_EVENTS]) == ["e3", "e4", "e5"]
    assert not await apply_once(db.boards, {"_id": "b1"}, "e5", {"$inc": {"n": 1}})
    await trim_applied(db.boards, {"_id": "b1"}, 1)
    doc = await db.boards.find_one({"_id": "b1"})
    assert doc is not None
    assert list(doc[APPLIED_EVENTS]) == ["e5"]


async def test_insert_once_ignores_the_duplicate(db: AsyncDatabase[Doc]) -> None:
    assert await insert_once(db.activity, {"_id": "e1", "summary": "first"})
    assert not await insert_once(db.activity, {"_id": "e1", "summary": "again"})
    assert await db.activity.find_one({"_id": "e1"}) == {"_id": "e1", "summary": "first"}
