"""Conformance of the MongoDB server the tests run against (nx-27017 by default, a real
MongoDB with MONGO_URL=...) for every operation the event layer relies on and the common ones
the repositories use. A stand-in's quirk shows up here as a failing test, not in production.

Known nx-27017 0.8.1 divergences are pinned as ``xfail`` (non-strict: they pass on MongoDB) so
nobody builds on them: see the ``DIVERGENCE`` tests at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hintro_testkit.infra import scratch_database

Doc = dict[str, Any]
Collection = AsyncCollection[Doc]

pytestmark = pytest.mark.integration


@pytest.fixture
async def coll() -> AsyncIterator[Collection]:
    async with scratch_database("conformance") as database:
        yield database["things"]


async def ids(cursor: Any) -> list[Any]:
    return [doc["_id"] async for doc in cursor]


# --- CRUD, sorts, projections -----------------------------------------------------------------


async def test_insert_find_sort_limit_skip_projection(coll: Collection) -> None:
    await coll.insert_many(
        [{"_id": n, "board": "b1" if n % 2 else "b2", "pos": f"a{9 - n}", "n": n} for n in range(8)]
    )
    found = coll.find({"board": "b1"}, {"pos": 1}).sort("pos", ASCENDING).skip(1).limit(2)
    assert [doc async for doc in found] == [{"_id": 5, "pos": "a4"}, {"_id": 3, "pos": "a6"}]
    compound = coll.find({}, {"_id": 1}).sort([("board", ASCENDING), ("n", DESCENDING)])
    assert await ids(compound) == [7, 5, 3, 1, 6, 4, 2, 0]
    assert await coll.find_one({"_id": 3}, {"n": 1, "_id": 0}) == {"n": 3}
    assert await coll.find_one({"_id": 99}) is None


async def test_range_and_membership_filters(coll: Collection) -> None:
    await coll.insert_many([{"_id": n, "n": n, "tag": f"t{n % 3}"} for n in range(6)])
    assert await ids(coll.find({"n": {"$gt": 1, "$lte": 4}}).sort("_id")) == [2, 3, 4]
    assert await ids(coll.find({"tag": {"$in": ["t0", "t2"]}}).sort("_id")) == [0, 2, 3, 5]
    assert await ids(coll.find({"tag": {"$nin": ["t0", "t2"]}}).sort("_id")) == [1, 4]
    assert await ids(coll.find({"$or": [{"n": 0}, {"n": 5}]}).sort("_id")) == [0, 5]


async def test_datetimes_round_trip_as_aware_utc_on_insert(coll: Collection) -> None:
    moment = datetime(2026, 11, 28, 12, 30, 15, 123000, tzinfo=UTC)
    await coll.insert_one({"_id": 1, "at": moment, "ok": True, "none": None})
    doc = await coll.find_one({"_id": 1})
    assert doc == {"_id": 1, "at": moment, "ok": True, "none": None}
    assert await ids(coll.find({"at": {"$lte": moment}})) == [1]


async def test_count_documents_and_delete_many(coll: Collection) -> None:
    await coll.insert_many([{"_id": n, "board": "b1" if n < 3 else "b2"} for n in range(5)])
    assert await coll.count_documents({"board": "b1"}) == 3
    result = await coll.delete_many({"board": "b1"})
    assert result.deleted_count == 3
    assert await coll.count_documents({}) == 2
    assert (await coll.delete_one({"_id": 4})).deleted_count == 1


async def test_unique_index_refuses_a_duplicate_and_writes_nothing(coll: Collection) -> None:
    await coll.create_index("email", unique=True)
    await coll.insert_one({"_id": 1, "email": "ada@example.com"})
    with pytest.raises(DuplicateKeyError) as caught:
        await coll.insert_one({"_id": 2, "email": "ada@example.com", "outbox": {"e": {}}})
    assert caught.value.code == 11000
    assert await coll.count_documents({}) == 1
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": 3}, {"$set": {"email": "ada@example.com"}}, upsert=True)
    assert await coll.count_documents({}) == 1


async def test_simple_group_aggregate(coll: Collection) -> None:
    await coll.insert_many(
        [{"_id": n, "board": "b1" if n < 3 else "b2", "points": n} for n in range(5)]
    )
    pipeline: list[Doc] = [
        {"$match": {"points": {"$gte": 0}}},
        {"$group": {"_id": "$board", "count": {"$sum": 1}, "points": {"$sum": "$points"}}},
        {"$sort": {"_id": 1}},
    ]
    rows = [row async for row in await coll.aggregate(pipeline)]
    assert rows == [{"_id": "b1", "count": 3, "points": 3}, {"_id": "b2", "count": 2, "points": 7}]


# --- updates ---------------------------------------------------------------------------------


async def test_find_one_and_update_returns_the_document_before_or_after(coll: Collection) -> None:
    await coll.insert_one({"_id": "b1", "seq": 4})
    after = await coll.find_one_and_update(
        {"_id": "b1"}, {"$inc": {"seq": 1}}, return_document=ReturnDocument.AFTER
    )
    assert after == {"_id": "b1", "seq": 5}
    before = await coll.find_one_and_update(
        {"_id": "b1"}, {"$inc": {"seq": 1}}, return_document=ReturnDocument.BEFORE
    )
    assert before == {"_id": "b1", "seq": 5}
    created = await coll.find_one_and_update(
        {"_id": "b2"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert created == {"_id": "b2", "seq": 1}


async def test_compare_and_set_lets_exactly_one_concurrent_writer_win(coll: Collection) -> None:
    await coll.insert_one({"_id": "t1", "version": 1, "title": "old"})
    results = await asyncio.gather(
        *(
            coll.update_one(
                {"_id": "t1", "version": 1},
                {"$set": {"title": f"writer {n}"}, "$inc": {"version": 1}},
            )
            for n in range(10)
        )
    )
    assert sum(result.modified_count for result in results) == 1
    doc = await coll.find_one({"_id": "t1"})
    assert doc is not None
    assert doc["version"] == 2


async def test_inc_under_concurrency_loses_no_increment(coll: Collection) -> None:
    await coll.insert_one({"_id": "c", "n": 0})
    await asyncio.gather(*(coll.update_one({"_id": "c"}, {"$inc": {"n": 1}}) for _ in range(50)))
    assert await coll.find_one({"_id": "c"}) == {"_id": "c", "n": 50}


async def test_inc_creates_a_missing_field_and_goes_negative(coll: Collection) -> None:
    await coll.insert_one({"_id": "c"})
    await coll.update_one({"_id": "c"}, {"$inc": {"pending": 2}})
    await coll.update_one({"_id": "c"}, {"$inc": {"pending": -3}})
    assert await coll.find_one({"_id": "c"}) == {"_id": "c", "pending": -1}


async def test_set_and_unset_dotted_paths_in_a_map(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "title": "x"})
    entry = {"id": "e1", "data": {"list": [1, {"a": None}]}, "_order": [3, 0]}
    await coll.update_one({"_id": 1}, {"$set": {"outbox.e1": entry, "outbox.e2": {"id": "e2"}}})
    doc = await coll.find_one({"_id": 1})
    assert doc is not None
    assert doc["outbox"] == {"e1": entry, "e2": {"id": "e2"}}, "subdocuments keep their types"
    await coll.update_one({"_id": 1}, {"$unset": {"outbox.e1": ""}})
    assert await coll.find_one({"_id": 1}, {"outbox": 1}) == {
        "_id": 1,
        "outbox": {"e2": {"id": "e2"}},
    }


async def test_existence_of_a_map_key_guards_a_write(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "outbox": {"e1": {"id": "e1"}}, "pending": 1})
    guard = {"_id": 1, "outbox.e1": {"$exists": True}}
    removal = {"$unset": {"outbox.e1": ""}, "$inc": {"pending": -1}}
    assert (await coll.update_one(guard, removal)).modified_count == 1
    assert (await coll.update_one(guard, removal)).matched_count == 0
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "outbox": {}, "pending": 0}
    assert await ids(coll.find({"pending": {"$gt": 0}})) == []


async def test_addtoset_on_an_existing_array_adds_each_value_once(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "labels": []})
    for label in ["bug", "ui", "bug"]:
        await coll.update_one({"_id": 1}, {"$addToSet": {"labels": label}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "labels": ["bug", "ui"]}


async def test_pull_with_a_condition(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "ids": ["a", "b", "c", "d"], "scores": [1, 5, 9]})
    await coll.update_one({"_id": 1}, {"$pull": {"ids": {"$in": ["b", "d"]}}})
    await coll.update_one({"_id": 1}, {"$pull": {"scores": {"$gte": 5}}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "ids": ["a", "c"], "scores": [1]}


async def test_positional_operator_updates_the_matched_array_element(coll: Collection) -> None:
    members = [{"userId": "u1", "role": "owner"}, {"userId": "u2", "role": "viewer"}]
    await coll.insert_one({"_id": "b1", "members": members})
    result = await coll.update_one(
        {"_id": "b1", "members.userId": "u2"}, {"$set": {"members.$.role": "editor"}}
    )
    assert result.modified_count == 1
    doc = await coll.find_one({"_id": "b1"})
    assert doc is not None
    assert doc["members"] == [{"userId": "u1", "role": "owner"}, {"userId": "u2", "role": "editor"}]


async def test_set_of_a_whole_array_of_subdocuments_keeps_them(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "members": []})
    members = [{"userId": "u1", "role": "owner"}]
    await coll.update_one({"_id": 1}, {"$set": {"members": members}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "members": members}


# --- the guards the event layer uses ---------------------------------------------------------


async def test_version_guarded_upsert_inserts_applies_and_rejects_stale(coll: Collection) -> None:
    def guard(version: int) -> Doc:
        return {"_id": "t1", "version": {"$lt": version}}

    await coll.update_one(guard(2), {"$set": {"title": "v2", "version": 2}}, upsert=True)
    with pytest.raises(DuplicateKeyError):  # stale: no match, and the upsert collides on _id
        await coll.update_one(guard(1), {"$set": {"title": "v1", "version": 1}}, upsert=True)
    result = await coll.update_one(guard(3), {"$set": {"title": "v3", "version": 3}}, upsert=True)
    assert result.modified_count == 1
    assert await coll.find_one({"_id": "t1"}) == {"_id": "t1", "title": "v3", "version": 3}


async def test_missing_map_key_guard_applies_once_with_upsert(coll: Collection) -> None:
    guard = {"_id": "c", "applied.e1": {"$exists": False}}
    update = {"$inc": {"n": 1}, "$set": {"applied.e1": 17}}
    assert (await coll.update_one(guard, update, upsert=True)).upserted_id == "c"
    with pytest.raises(DuplicateKeyError):
        await coll.update_one(guard, update, upsert=True)
    assert (await coll.update_one(guard, update)).matched_count == 0
    assert await coll.find_one({"_id": "c"}) == {"_id": "c", "n": 1, "applied": {"e1": 17}}


async def test_nin_matches_documents_without_the_field_in_reads_and_writes(
    coll: Collection,
) -> None:
    await coll.insert_many([{"_id": 1}, {"_id": 2, "deleted": True}])
    live = {"deleted": {"$nin": [True]}}
    assert await ids(coll.find(live)) == [1]
    assert (await coll.update_many(live, {"$set": {"seen": 1}})).matched_count == 1
    assert (await coll.delete_many(live)).deleted_count == 1
    assert await ids(coll.find({})) == [2]


async def test_indexes_used_by_the_outbox_sweeper_do_not_change_results(coll: Collection) -> None:
    await coll.create_index("outboxPending", name="outbox_pending")
    await coll.create_index("deleted", name="outbox_tombstone", sparse=True)
    await coll.insert_many(
        [
            {"_id": 1, "outboxPending": 2},
            {"_id": 2, "outboxPending": 0},
            {"_id": 3},
            {"_id": 4, "deleted": True, "outboxPending": 0},
        ]
    )
    assert await ids(coll.find({"outboxPending": {"$gt": 0}}, {"_id": 1}).limit(10)) == [1]
    assert await ids(coll.find({"deleted": True, "outboxPending": {"$lte": 0}})) == [4]
    assert await ids(coll.find({"deleted": {"$nin": [True]}}).sort("_id")) == [1, 2, 3]


# --- DIVERGENCE: nx-27017 0.8.1 differs from MongoDB (pass on MongoDB) -------------------------

NX = "nx-27017 0.8.1 divergence; the event layer avoids it"


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_ne_in_a_write_matches_documents_without_the_field(
    coll: Collection,
) -> None:
    await coll.insert_many([{"_id": 1}, {"_id": 2, "deleted": True}])
    assert (
        await coll.update_many({"deleted": {"$ne": True}}, {"$set": {"x": 1}})
    ).matched_count == 1


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_ne_excludes_arrays_containing_the_value(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "applied": ["e1"]})
    assert await ids(coll.find({"applied": {"$ne": "e1"}})) == []


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_addtoset_creates_a_missing_array(coll: Collection) -> None:
    await coll.insert_one({"_id": 1})
    await coll.update_one({"_id": 1}, {"$addToSet": {"applied": "e1"}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "applied": ["e1"]}


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_set_of_a_top_level_boolean_or_datetime_keeps_its_type(
    coll: Collection,
) -> None:
    moment = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    await coll.insert_one({"_id": 1})
    await coll.update_one({"_id": 1}, {"$set": {"deleted": True, "updatedAt": moment}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "deleted": True, "updatedAt": moment}


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_empty_subdocument_equality_matches_only_empty(coll: Collection) -> None:
    await coll.insert_many([{"_id": 1, "outbox": {}}, {"_id": 2, "outbox": {"e": 1}}])
    assert await ids(coll.find({"outbox": {}})) == [1]


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_push_stores_subdocuments_as_subdocuments(coll: Collection) -> None:
    await coll.insert_one({"_id": 1, "items": []})
    await coll.update_one({"_id": 1}, {"$push": {"items": {"a": 1}}})
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "items": [{"a": 1}]}
