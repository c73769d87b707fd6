"""Every MongoDB operation the activity service's repositories rely on, run against the
configured server (nx-27017 in CI; point MONGO_URL at a real MongoDB to compare), so a
stand-in's quirk is a failing test here rather than a surprise in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_activity.domain import NameRef
from hintro_activity.names import NameDirectory
from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection, BoardSnapshot
from hintro_testkit.infra import scratch_database

pytestmark = pytest.mark.integration

Document = dict[str, Any]


@pytest.fixture(scope="module")
async def db() -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database("activity_conformance") as database:
        yield database


async def test_counter_compare_and_set_on_a_map_of_claims(db: AsyncDatabase[Document]) -> None:
    counters = db["counters"]
    await counters.insert_one({"_id": "b", "seq": 1, "claims": {"e1": {"seq": 1}}, "pending": 1})

    async def cas(seq: int, event: str) -> int:
        result = await counters.update_one(
            {"_id": "b", "seq": seq, f"claims.{event}": {"$exists": False}},
            {"$set": {"seq": seq + 1, f"claims.{event}": {"seq": seq + 1}}, "$inc": {"pending": 1}},
        )
        return result.matched_count

    assert await cas(1, "e2") == 1
    assert await cas(1, "e3") == 0  # stale seq
    assert await cas(2, "e2") == 0  # already claimed
    doc = await counters.find_one({"_id": "b"})
    assert doc is not None
    assert doc["claims"] == {"e1": {"seq": 1}, "e2": {"seq": 2}}  # nested, not flat keys
    guarded = {"_id": "b", "claims.e1": {"$exists": True}}
    unset = {"$unset": {"claims.e1": ""}, "$inc": {"pending": -1}}
    assert (await counters.update_one(guarded, unset)).matched_count == 1
    assert (await counters.update_one(guarded, unset)).matched_count == 0
    doc = await counters.find_one({"_id": "b"})
    assert doc is not None
    assert doc["pending"] == 1
    assert list(doc["claims"]) == ["e2"]
    assert [d["_id"] async for d in counters.find({"pending": {"$gt": 0}})] == ["b"]
    # The tombstone: replace keeps a real datetime; $nin matches the field's absence.
    await counters.replace_one(
        {"_id": "b"}, {"_id": "b", "deleted": True, "at": datetime.now(UTC)}, upsert=True
    )
    doc = await counters.find_one({"_id": "b"})
    assert doc is not None
    assert isinstance(doc["at"], datetime)
    live = {"_id": "b", "deleted": {"$nin": [True]}}
    assert (await counters.update_one(live, {"$set": {"seq": 9}})).matched_count == 0


async def test_entries_unique_keys_sorts_and_projections(db: AsyncDatabase[Document]) -> None:
    entries = db["entries"]
    await entries.create_index([("boardId", ASCENDING), ("seq", ASCENDING)], unique=True)
    for seq in range(1, 8):
        await entries.insert_one(
            {
                "_id": f"e{seq}",
                "boardId": "b",
                "seq": seq,
                "createdAt": f"2026-01-01T00:00:0{seq}.000Z",
                "data": {"members": [{"userId": "u", "role": "owner"}]},
                "outbox": {"x": {"a": 1}},
            }
        )
    with pytest.raises(DuplicateKeyError):
        await entries.insert_one({"_id": "other", "boardId": "b", "seq": 3})
    with pytest.raises(DuplicateKeyError):
        await entries.insert_one({"_id": "e3", "boardId": "b", "seq": 99})
    newest = entries.find({"boardId": "b", "seq": {"$lt": 6}}, {"outbox": 0})
    docs = [d async for d in newest.sort("seq", DESCENDING).limit(3)]
    assert [d["seq"] for d in docs] == [5, 4, 3]
    assert "outbox" not in docs[0]
    assert docs[0]["data"] == {"members": [{"userId": "u", "role": "owner"}]}
    assert isinstance(docs[0]["createdAt"], str)  # stored as a string, never $set as a date
    after = entries.find({"boardId": "b", "seq": {"$gt": 5}}).sort("seq", ASCENDING).limit(5)
    assert [d["seq"] async for d in after] == [6, 7]
    found = entries.find({"_id": {"$in": ["e1", "e7", "nope"]}})
    assert sorted([d["_id"] async for d in found]) == ["e1", "e7"]
    await entries.update_one({"_id": "e1"}, {"$set": {"names": [{"k": "user", "id": "u"}]}})
    doc = await entries.find_one({"_id": "e1"})
    assert doc is not None
    assert doc["names"] == [{"k": "user", "id": "u"}]  # an array $set whole stays an array
    assert (await entries.delete_many({"boardId": "b"})).deleted_count == 7


async def test_titles_keep_the_newest_version(db: AsyncDatabase[Document]) -> None:
    names = NameDirectory(db)
    await names.set_list_title("l", "b", "Two", 2)
    await names.set_list_title("l", "b", "One", 1)  # late and older: ignored
    await names.set_list_title("l", "b", "Two", 2)  # duplicate: harmless
    doc = await names.lists.find_one({"_id": "l"})
    assert doc is not None
    assert (doc["title"], doc["v"]) == ("Two", 2)
    await names.set_list_title("l", "b", "Three", 3)
    found = await names.lookup([NameRef("list", "l"), NameRef("previous_list", "l")], version=3)
    assert found.get(NameRef("list", "l")) == "Three"
    assert found.get(NameRef("previous_list", "l")) is None  # v3 is not *before* version 3


async def test_the_board_view_membership_is_version_guarded(db: AsyncDatabase[Document]) -> None:
    members = BoardProjection(db)
    assert await members.set_member("b", "u", Role.EDITOR, 3)
    assert not await members.set_member("b", "u", Role.VIEWER, 2)  # older
    assert await members.set_member("b", "v", Role.VIEWER, 2)  # another member, own guard
    assert await members.role_of("b", "u") == Role.EDITOR
    assert await members.set_member("b", "u", None, 4)
    assert not await members.set_member("b", "u", Role.EDITOR, 3)  # no resurrection
    assert await members.role_of("b", "u") is None
    await members.apply_snapshot(BoardSnapshot("b", 3, {"u": Role.OWNER}))  # older: ignored
    assert await members.role_of("b", "u") is None
    await members.apply_snapshot(BoardSnapshot("b", 9, {"u": Role.OWNER}))
    assert await members.role_of("b", "u") == Role.OWNER
    assert await members.role_of("b", "v") is None
    await members.delete_board("b", 10)
    assert await members.role_of("b", "u") is None
    assert not await members.set_member("b", "u", Role.EDITOR, 11)  # deletion is final


async def test_a_page_is_a_range_of_one_string_in_either_order(
    db: AsyncDatabase[Document],
) -> None:
    """The log's pages (``hintro_activity.repository.PLACE``): a range of ``board:seq`` strings
    with a sparse index, sorted either way and limited; entries without the field (written by
    an older release) are allowed, several of them, and outside every range."""
    entries = db["places"]
    await entries.create_index([("place", ASCENDING)], sparse=True)
    for board in ("b", "b0", "c"):
        await entries.insert_many(
            [{"_id": f"{board}{seq}", "place": f"{board}:{seq:012d}"} for seq in range(1, 13)]
        )
    await entries.insert_many([{"_id": "old1"}, {"_id": "old2"}])
    low, past = "b:000000000000", "b;"
    up = entries.find({"place": {"$gte": "b:000000000004", "$lt": past}})
    assert [d["_id"] async for d in up.sort("place", ASCENDING).limit(3)] == ["b4", "b5", "b6"]
    down = entries.find({"place": {"$gte": low, "$lt": "b:000000000011"}})
    assert [d["_id"] async for d in down.sort("place", DESCENDING).limit(3)] == [
        "b10",
        "b9",
        "b8",
    ]
    whole = entries.find({"place": {"$gte": low, "$lt": past}}).sort("place", DESCENDING)
    assert [d["_id"] async for d in whole] == [f"b{seq}" for seq in range(12, 0, -1)]
    assert await entries.count_documents({"place": {"$exists": False}}) == 2
