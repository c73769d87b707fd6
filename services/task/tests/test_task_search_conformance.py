"""Why search keeps its own word index instead of MongoDB's text index, and that the index's
operations behave the same on nx-27017 and MongoDB (run against ``MONGO_URL``; point it at a
real MongoDB to compare).

The ``DIVERGENCE`` tests at the end are what a search on MongoDB's text index would rely on;
nx-27017 0.8.1 accepts ``create_index(..., "text")`` and answers a bare ``$text`` query, but
does not list the index, fails when ``$text`` is combined with a condition on ``_id``, ignores
the field weights (a description match ranks above a title match) and does not stem. And on
either server ``$text`` matches whole words only, while search finds words by their start
("log" finds "Login"), as users typing into a search box expect. The divergences are pinned
``xfail`` (non-strict: they pass on MongoDB), and the word index below needs none of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import TEXT
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection
from hintro_shared.boardview.model import BoardSnapshot
from hintro_task.search_index import SearchIndex, SearchItem
from hintro_testkit.infra import scratch_database

pytestmark = pytest.mark.integration

Db = AsyncDatabase[dict[str, Any]]
Collection = AsyncCollection[dict[str, Any]]
AT = "2026-05-01T12:00:00.000Z"


@pytest.fixture
async def db() -> AsyncIterator[Db]:
    async with scratch_database("search_conformance") as database:
        yield database


@pytest.fixture
async def texts(db: Db) -> Collection:
    coll = db["texts"]
    await coll.insert_many(
        [
            {"_id": "t1", "b": "b1", "title": "Fix login bug", "body": "the form"},
            {"_id": "t2", "b": "b2", "title": "Write docs", "body": "about login"},
            {"_id": "t3", "b": "b1", "title": "Logins", "body": "several"},
        ]
    )
    await coll.create_index(
        [("title", TEXT), ("body", TEXT)], weights={"title": 10, "body": 1}, name="text"
    )
    return coll


async def ids(cursor: Any) -> list[str]:
    return sorted([doc["_id"] async for doc in cursor])


# --- what the word index relies on ----------------------------------------------------------


async def test_a_word_range_within_a_set_of_boards(db: Db) -> None:
    coll = db["terms"]
    await coll.create_index([("w", 1), ("b", 1)])
    await coll.insert_many(
        [
            {"_id": 1, "w": "log", "b": "b1"},
            {"_id": 2, "w": "login", "b": "b1"},
            {"_id": 3, "w": "login", "b": "b2"},
            {"_id": 4, "w": "logo", "b": "b3"},
            {"_id": 5, "w": "lot", "b": "b1"},
            {"_id": 6, "w": "lo", "b": "b1"},
        ]
    )
    query = {"w": {"$gte": "log", "$lt": "log\uffff"}, "b": {"$in": ["b1", "b2"]}}
    assert sorted([doc["_id"] async for doc in coll.find(query)]) == [1, 2, 3]
    restricted = {**query, "_id": {"$in": [2, 4, 5]}}
    assert [doc["_id"] async for doc in coll.find(restricted)] == [2]


async def test_unordered_bulk_insert_keeps_the_new_and_reports_duplicates(db: Db) -> None:
    coll = db["bulk"]
    await coll.insert_one({"_id": "a"})
    with pytest.raises(BulkWriteError) as raised:
        await coll.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], ordered=False)
    codes = {error["code"] for error in raised.value.details["writeErrors"]}
    assert codes == {11000}
    assert await coll.count_documents({}) == 3


async def test_a_claim_upsert_refuses_an_older_version(db: Db) -> None:
    coll = db["claims"]
    await coll.update_one({"_id": "i", "v": {"$lte": 3}}, {"$set": {"v": 3}}, upsert=True)
    again = await coll.update_one({"_id": "i", "v": {"$lte": 3}}, {"$set": {"v": 3}}, upsert=True)
    assert again.matched_count == 1
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "i", "v": {"$lte": 2}}, {"$set": {"v": 2}}, upsert=True)
    assert await coll.find_one({"_id": "i"}) == {"_id": "i", "v": 3}


async def test_boards_of_a_member_from_the_board_view(db: Db) -> None:
    projection = BoardProjection(db)
    for board_id, members in (
        ("b1", {"u1": Role.OWNER}),
        ("b2", {"u1": Role.VIEWER, "u2": Role.EDITOR}),
        ("b3", {"u2": Role.OWNER}),
    ):
        await projection.apply_snapshot(BoardSnapshot(board_id, 2, members))
    await projection.set_member("b2", "u1", None, 3)  # removed
    assert sorted(await projection.boards_of("u1")) == ["b1"]
    assert sorted(await projection.boards_of("u2")) == ["b2", "b3"]
    await projection.delete_board("b3", 5)
    assert await projection.boards_of("u2") == ["b2"]


def _item(version: int, title: str, **overrides: Any) -> SearchItem:
    values: dict[str, Any] = {
        "id": "t1",
        "kind": "task",
        "board_id": "b1",
        "task_id": "t1",
        "list_id": "l1",
        "title": title,
        "text": "",
        "updated_at": AT,
        "version": version,
    }
    values.update(overrides)
    return SearchItem(**values)


async def test_the_index_keeps_the_newest_version_whatever_the_order(db: Db) -> None:
    index = SearchIndex(db)
    await index.create_indexes()
    assert await index.put(_item(2, "newer words"))
    assert not await index.put(_item(1, "older words"))  # late: refused
    assert await index.put(_item(2, "newer words"))  # redelivered: harmless
    words = sorted([doc["w"] async for doc in index.terms.find({"i": "t1"})])
    assert words == ["newer", "words"]
    found = await index.candidates("new", ["b1"], archived=False, cap=100)
    assert list(found) == ["t1"]
    assert await index.candidates("old", ["b1"], archived=False, cap=100) == {}
    assert await index.candidates("new", ["b2"], archived=False, cap=100) == {}
    await index.remove_task("t1", 3)
    assert await index.terms.count_documents({"i": "t1"}) == 0
    assert not await index.put(_item(2, "newer words"))  # after the delete: refused


# --- DIVERGENCE: MongoDB's text index on nx-27017 0.8.1 (pass on MongoDB) -------------------

NX = "nx-27017 0.8.1: no usable text index, so search keeps its own word index"


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_a_text_index_is_listed(texts: Collection) -> None:
    names = [index["name"] async for index in await texts.list_indexes()]
    assert "text" in names


@pytest.mark.xfail(reason=NX, strict=False, raises=(AssertionError, OperationFailure))
async def test_divergence_text_search_combines_with_an_id_condition(texts: Collection) -> None:
    # A page after a cursor, or a second word narrowed to the first one's items, needs this.
    assert await ids(texts.find({"$text": {"$search": "login"}, "_id": {"$in": ["t1"]}})) == ["t1"]


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_text_weights_rank_title_matches_first(texts: Collection) -> None:
    cursor = texts.find(
        {"$text": {"$search": "login"}}, {"score": {"$meta": "textScore"}, "title": 1}
    ).sort([("score", {"$meta": "textScore"})])
    assert next(doc["_id"] async for doc in cursor) == "t1"


@pytest.mark.xfail(reason=NX, strict=False)
async def test_divergence_text_search_stems(texts: Collection) -> None:
    assert await ids(texts.find({"$text": {"$search": "logins"}})) == ["t1", "t2", "t3"]


async def test_what_text_search_does_on_both(texts: Collection) -> None:
    # Whole words only, on either server: "log" does not find "login", so MongoDB's text
    # index could not serve search-as-you-type even where it works in full.
    assert "t1" in await ids(texts.find({"$text": {"$search": "login"}, "b": {"$in": ["b1"]}}))
    assert await ids(texts.find({"$text": {"$search": "log"}})) == []


async def test_the_backfill_migration_indexes_what_was_written_before(db: Db) -> None:
    from datetime import UTC, datetime

    from hintro_task.domain import Task
    from hintro_task.migrations import MIGRATIONS
    from hintro_task.repository import TaskRepository

    at = datetime(2026, 5, 1, tzinfo=UTC)
    old = Task(
        "t-old", "b1", "l1", "Old printer", "needs toner", "a0", (), (), None, "u1", at, at, 3
    )
    await TaskRepository(db).seed([old])
    await db["comments"].insert_one(
        {"_id": "c1", "taskId": "t-old", "boardId": "b1", "authorId": "u1", "text": "ink too",
         "createdAt": AT, "updatedAt": AT, "version": 1}
    )  # fmt: skip
    backfill = next(m for m in MIGRATIONS if m.name.startswith("search index: the tasks"))
    await backfill.up(db)
    await backfill.up(db)  # idempotent
    index = SearchIndex(db)
    assert list(await index.candidates("toner", ["b1"], archived=False, cap=100)) == ["t-old"]
    assert list(await index.candidates("ink", ["b1"], archived=False, cap=100)) == ["c:c1"]
    await backfill.down(db)
    assert await index.candidates("toner", ["b1"], archived=False, cap=100) == {}
