"""The Mongo operations the task service relies on, run against ``MONGO_URL`` (nx-27017 in
``make test``; point it at a real MongoDB to compare). Each test pins a behaviour the
repositories depend on, including the nx-27017 0.8.1 quirks they are written around:

- a top-level ``$or`` in an update filter loses its sibling conditions (so guards wrap it in
  ``$and``);
- ``{field: {$ne: v}}`` does not match a missing field in an update filter (so tombstones are
  excluded with ``$nin``);
- ``$set`` of a top-level datetime stores a zone-less string (so times are stored as strings);
- a dotted projection comes back flat (``"members.u1"``) instead of nested;
- an equality compiles to SQL no index serves (it also tests array elements), so the hot
  queries on a string id say "equal" as a closed range (``hintro_shared.mongo.exactly``): the
  same documents, in the same order (a speed difference is measured, not tested).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_shared.authz import Role
from hintro_shared.boardview import BoardProjection as Projection
from hintro_shared.events.outbox import LIVE
from hintro_shared.mongo import exactly
from hintro_task.domain import (
    BoardSnapshot,
    Checklist,
    ChecklistItem,
    EventContext,
    ListRef,
    PositionTaken,
    Progress,
    Task,
    created_event,
    deleted_event,
    moved_event,
)
from hintro_task.repository import TaskRepository
from hintro_testkit.infra import scratch_database, unique

pytestmark = pytest.mark.integration

Db = AsyncDatabase[dict[str, Any]]
AT = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
CTX = EventContext(actor_id="u1", correlation_id="c1")


@pytest.fixture(scope="module")
async def db() -> AsyncIterator[Db]:
    async with scratch_database("task_conformance") as database:
        yield database


@pytest.fixture(scope="module")
async def repo(db: Db) -> TaskRepository:
    repository = TaskRepository(db)
    await repository.create_indexes()
    return repository


def task(task_id: str, list_id: str, position: str, **extra: Any) -> Task:
    fields: dict[str, Any] = {
        "id": task_id,
        "board_id": "b-" + list_id,
        "list_id": list_id,
        "title": "t",
        "description": "",
        "position": position,
        "assignee_ids": (),
        "label_ids": (),
        "due_date": AT,
        "created_by": "u1",
        "created_at": AT,
        "updated_at": AT,
        "version": 1,
        **extra,
    }
    return Task(**fields)


async def test_member_guard_applies_only_to_its_own_board(db: Db) -> None:
    projection = Projection(db)
    a, b = unique("board"), unique("board")
    assert await projection.set_member(a, "u1", Role.EDITOR, 3)
    assert await projection.set_member(b, "u1", Role.VIEWER, 1)
    assert not await projection.set_member(a, "u1", Role.VIEWER, 2)  # older: ignored
    assert await projection.set_member(a, "u2", Role.VIEWER, 4)  # new entry on a live board
    assert await projection.role_of(a, "u1") == Role.EDITOR
    assert await projection.role_of(b, "u1") == Role.VIEWER
    assert await projection.role_of(a, "u2") == Role.VIEWER
    assert await projection.set_member(a, "u1", None, 5)
    assert await projection.role_of(a, "u1") is None
    assert await projection.role_of(b, "u1") == Role.VIEWER


async def test_tombstoned_board_ignores_later_events_and_denies(db: Db) -> None:
    projection = Projection(db)
    board = unique("board")
    await projection.set_member(board, "u1", Role.OWNER, 1)
    await projection.delete_board(board, 2)
    assert not await projection.set_member(board, "u2", Role.EDITOR, 3)
    assert await projection.role_of(board, "u1") is None


async def test_snapshot_replaces_members_only_when_newer(db: Db) -> None:
    projection = Projection(db)
    board = unique("board")
    await projection.set_member(board, "u1", Role.OWNER, 4)
    await projection.apply_snapshot(BoardSnapshot(board, 3, {"u9": Role.EDITOR}))
    assert await projection.role_of(board, "u9") is None
    await projection.apply_snapshot(
        BoardSnapshot(
            board, 6, {"u1": Role.OWNER, "u2": Role.EDITOR}, (ListRef("l", board, "a0", 2),)
        )
    )
    assert await projection.role_of(board, "u2") == Role.EDITOR
    assert await projection.get_list("l") == ListRef("l", board, "a0", 2)


async def test_late_older_member_event_cannot_undo_a_snapshot(db: Db) -> None:
    projection = Projection(db)
    board = unique("board")
    await projection.set_member(board, "gone", Role.EDITOR, 2)
    await projection.set_member(board, "gone", None, 3)
    # The board service says (at version 5): only the owner. Older events arrive afterwards.
    await projection.apply_snapshot(BoardSnapshot(board, 5, {"owner": Role.OWNER}))
    assert not await projection.set_member(board, "gone", Role.EDITOR, 2)
    assert not await projection.set_member(board, "late", Role.VIEWER, 4)
    assert await projection.role_of(board, "gone") is None
    assert await projection.role_of(board, "late") is None
    assert await projection.set_member(board, "new", Role.VIEWER, 6)
    assert await projection.role_of(board, "new") == Role.VIEWER


async def test_list_position_guard_and_order(db: Db) -> None:
    projection = Projection(db)
    board = unique("board")
    assert await projection.upsert_list("L2", board, 1, "a1")
    assert await projection.upsert_list("L1", board, 3, "a0")
    assert not await projection.upsert_list("L1", board, 2, "a9")  # older position: ignored
    assert await projection.upsert_list("L1", board, 4)  # title-only update: keeps position
    assert [ref.id for ref in await projection.board_lists(board)] == ["L1", "L2"]
    await projection.delete_list("L2", board, 2)
    assert [ref.id for ref in await projection.board_lists(board)] == ["L1"]


async def test_unique_place_per_list_on_insert_and_update(repo: TaskRepository) -> None:
    first = task(unique("t"), "LU", "a0")
    await repo.insert(first, created_event(first), CTX)
    clash = task(unique("t"), "LU", "a0")
    with pytest.raises(PositionTaken):
        await repo.insert(clash, created_event(clash), CTX)
    second = task(unique("t"), "LU", "a1")
    await repo.insert(second, created_event(second), CTX)
    moved = task(second.id, "LU", "a0", version=2)
    with pytest.raises(PositionTaken):
        await repo.save(moved, 1, moved_event(moved, "LU"), CTX)


async def test_times_and_compare_and_set_round_trip(repo: TaskRepository) -> None:
    original = task(unique("t"), "LT", "a0")
    await repo.insert(original, created_event(original), CTX)
    later = datetime(2027, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    moved = task(original.id, "LT", "a5", version=2, updated_at=later, due_date=None)
    assert await repo.save(moved, 1, moved_event(moved, "LT"), CTX)
    assert not await repo.save(moved, 1, moved_event(moved, "LT"), CTX)  # stale version
    assert await repo.get(original.id) == moved


async def test_neighbour_queries_and_pages(repo: TaskRepository) -> None:
    for position in ("a1", "a3", "a5"):
        item = task(unique("t"), "LN", position)
        await repo.insert(item, created_event(item), CTX)
    assert await repo.last_position("LN") == "a5"
    assert await repo.position_after("LN", "a1") == "a3"
    assert await repo.position_before("LN", "a3") == "a1"
    assert await repo.position_after("LN", "a5") is None
    assert [t.position for t in await repo.page("LN", "a1", 5)] == ["a3", "a5"]


async def test_cascade_scans_touch_only_their_list_and_drained_tombstones_go(
    repo: TaskRepository, db: Db
) -> None:
    for list_id in ("LP", "LP", "LQ"):
        item = task(unique("t"), list_id, unique("a"))
        await repo.insert(item, created_event(item), CTX)
    doomed = await repo.live_of_list("LP")
    assert len(doomed) == 2
    for item in doomed:
        gone = replace(item, version=item.version + 1)
        assert await repo.delete(gone, item.version, deleted_event(gone), CTX)
    assert await repo.live_of_list("LP") == []
    assert [t.list_id for t in await repo.live_of_board("b-LQ")] == ["LQ"]
    # Tombstones stay while their events are pending, but no reader sees them.
    assert await repo.drop_drained(list_id="LP") == 0
    assert await db["tasks"].count_documents({"listId": "LP", **LIVE}) == 0
    assert await db["tasks"].count_documents({"listId": "LQ", **LIVE}) == 1
    await db["tasks"].update_many({"listId": "LP"}, {"$set": {"outboxPending": 0}})
    assert await repo.drop_drained(list_id="LP") == 2
    assert await db["tasks"].count_documents({"listId": "LP"}) == 0


async def test_update_filter_with_or_and_siblings_is_wrapped(db: Db) -> None:
    """The guard form ``projection._older_than`` uses (``$or`` inside ``$and``) keeps the
    ``_id`` condition on both servers: no other document is touched, and a failed guard with
    upsert collides with the existing ``_id``."""
    coll = db[unique("quirk")]
    await coll.insert_many([{"_id": "a", "v": 5}, {"_id": "b", "v": 0}])
    guard = {"$or": [{"v": {"$exists": False}}, {"v": {"$lt": 3}}]}
    result = await coll.update_one({"$and": [{"_id": "a"}, guard]}, {"$set": {"hit": True}})
    assert result.matched_count == 0
    assert await coll.count_documents({"hit": True}) == 0
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"$and": [{"_id": "a"}, guard]}, {"$set": {"x": 1}}, upsert=True)


async def test_checklists_round_trip_nested_booleans_nulls_and_dates_and_stay_off_the_board_load(
    repo: TaskRepository,
) -> None:
    # $set of an array of subdocuments holding arrays of subdocuments with booleans, nulls and
    # date strings: what save_checklists writes on every checklist change.
    list_id = unique("list")
    stored = task(unique("task"), list_id, "a0")
    await repo.insert(stored, created_event(stored), CTX)
    items = (
        ChecklistItem("i1", "Milk", True, "a0", assignee_id="u2", due_date=AT),
        ChecklistItem("i2", "Eggs", False, "a1"),
    )
    checklists = (Checklist("c1", "Shop", "a0", items), Checklist("c2", "Empty", "a1"))
    changed = replace(stored, version=2, checklist_progress=Progress(1, 2))
    event = moved_event(changed, list_id)
    assert await repo.save_checklists(changed, checklists, 1, event, CTX)
    assert not await repo.save_checklists(changed, checklists, 1, event, CTX)  # stale version
    found = await repo.get_with_checklists(stored.id)
    assert found is not None
    assert found == (changed, checklists)
    (loaded,) = [t for t in await repo.of_board(stored.board_id) if t.id == stored.id]
    assert loaded.checklist_progress == Progress(1, 2)


async def test_equal_as_a_closed_range_reads_what_equality_reads(db: Db) -> None:
    tasks = db["exactly"]
    await tasks.create_index([("listId", 1), ("position", 1)], unique=True)
    # Ids that extend or prefix one another, and other types, must stay out of the range.
    lists = ["l1", "l10", "l", "l1 ", "L1"]
    await tasks.insert_many(
        [
            {"_id": f"{name}-{n}", "listId": name, "position": f"p{(n * 7) % 10}"}
            for name in lists
            for n in range(10)
        ]
    )
    await tasks.insert_many([{"_id": "number", "listId": 1, "position": "a"}])
    for name in lists:
        equal = tasks.find({"listId": name, **LIVE}).sort("position", 1).limit(4)
        ranged = tasks.find({"listId": exactly(name), **LIVE}).sort("position", 1).limit(4)
        assert [d["_id"] async for d in ranged] == [d["_id"] async for d in equal]
        assert await tasks.count_documents({"listId": exactly(name)}) == 10
        last = await tasks.find_one({"listId": exactly(name)}, sort=[("position", -1)])
        assert last is not None
        assert last["position"] == "p9"
