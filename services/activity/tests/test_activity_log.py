"""The activity log fed through the broker: entries with names, gapless seqs under duplicate
and concurrent deliveries, the board's deletion, and the activity.recorded event realtime
pushes. Real nx-27017, RabbitMQ, and events published as the other services do."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hintro_shared.events.envelope import new_event
from hintro_testkit.infra import wait_for
from services.activity.tests.support import Harness

pytestmark = pytest.mark.integration


def list_created(harness: Harness, board_id: str, actor: str, title: str) -> Any:
    return harness.event(
        "list.created",
        board_id,
        actor,
        listId=uuid.uuid4().hex,
        boardId=board_id,
        title=title,
        position="a0",
        createdAt=datetime.now(UTC),
        version=1,
    )


async def test_entries_name_people_lists_and_tasks(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, "Roadmap")
    todo, done = (list_created(harness, board.id, ada, t) for t in ("To do", "Done"))
    task_id = uuid.uuid4().hex
    task = {"taskId": task_id, "boardId": board.id}
    steps = [
        harness.member_added(board, ada, bob, "editor"),
        todo,
        done,
        harness.event(
            "task.created",
            board.id,
            bob,
            **task,
            listId=todo.data["listId"],
            title="Fix login",
            position="a0",
            createdBy=bob,
            createdAt=datetime.now(UTC),
            version=1,
        ),
        harness.event(
            "task.moved",
            board.id,
            ada,
            **task,
            fromListId=todo.data["listId"],
            toListId=done.data["listId"],
            position="a1",
            version=2,
        ),
        harness.event(
            "list.updated",
            board.id,
            ada,
            listId=done.data["listId"],
            boardId=board.id,
            title="Shipped",
            version=2,
        ),
        harness.event("task.assigned", board.id, ada, **task, listId="x", userId=bob, version=3),
    ]
    for seq, event in enumerate(steps, start=2):
        await harness.send(event)
        await harness.wait_seq(board.id, seq)
        if event.type == "list.created":
            # The rename below must find the title it replaces.
            list_id = event.data["listId"]

            async def titled(list_id: str = list_id) -> Any:
                return await harness.db["list_titles"].find_one({"_id": list_id})

            await wait_for(titled, what="list title")

    page = await harness.activity(board.id, bob)
    assert [item["summary"] for item in page["items"]] == [
        "Ada assigned Bob to “Fix login”",
        "Ada renamed the list “Done” to “Shipped”",
        "Ada moved “Fix login” from To do to Done",  # as it was then
        "Bob created “Fix login” in To do",
        "Ada created the list “Done”",
        "Ada created the list “To do”",
        "Ada added Bob as editor",
        "Ada created the board “Roadmap”",
    ]
    assert page["next"] is None
    newest = page["items"][0]
    assigned = steps[-1]
    assert newest == {
        "id": assigned.id,
        "boardId": board.id,
        "seq": 8,
        "type": "task.assigned",
        "actor": {"id": ada, "name": "Ada"},
        "subject": {"kind": "task", "id": task_id},
        "summary": "Ada assigned Bob to “Fix login”",
        "data": assigned.data,
        "createdAt": newest["createdAt"],
    }
    assert datetime.fromisoformat(newest["createdAt"]) == assigned.time.replace(
        microsecond=assigned.time.microsecond // 1000 * 1000
    )
    assert newest["createdAt"].endswith("Z")
    assert page["items"][6]["subject"] == {"kind": "member", "id": bob}


async def test_a_name_learnt_later_heals_the_summary(harness: Harness) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    stranger = f"late_{uuid.uuid4().hex[:8]}"
    await harness.send(harness.member_added(board, stranger, stranger, "viewer"))
    await harness.wait_seq(board.id, 2)
    first = (await harness.activity(board.id, ada))["items"][0]
    assert first["summary"] == "Someone joined the board as viewer"
    assert first["actor"] == {"id": stranger, "name": None}

    await harness.send(
        harness.event("user.registered", None, None, userId=stranger, email="z@x.io", name="Zed")
    )

    async def healed() -> Any:
        item = (await harness.activity(board.id, ada))["items"][0]
        return item if item["actor"]["name"] == "Zed" else None

    item = await wait_for(healed, what="the late name")
    assert item["summary"] == "Zed joined the board as viewer"
    stored = await harness.db["entries"].find_one({"_id": first["id"]})
    assert stored["summary"] == "Zed joined the board as viewer"
    assert not stored["unresolved"]


async def test_duplicate_and_concurrent_deliveries_give_seqs_exactly_1_to_n(
    harness: Harness,
) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    events = [harness.board_updated(board, ada, description=f"take {i}") for i in range(40)]
    # Every event twice, all published at once: the consumer handles them concurrently.
    await asyncio.gather(*(harness.publisher.publish(e) for e in [*events, *events]))
    await harness.wait_seq(board.id, 41)

    async def settled() -> list[dict[str, Any]] | None:
        entries = await harness.entries(board.id)
        return entries if len(entries) == 41 else None

    entries = await wait_for(settled, what="41 entries")
    assert [entry["seq"] for entry in entries] == list(range(1, 42))
    assert sorted(entry["_id"] for entry in entries[1:]) == sorted(e.id for e in events)
    # Still 41 a moment later: no duplicate straggled in.
    await asyncio.sleep(0.5)
    assert len(await harness.entries(board.id)) == 41
    assert await harness.log.head(board.id) == 41


async def test_activity_recorded_is_published_with_the_seq(harness: Harness) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    event = harness.board_updated(board, ada, socket_id="sid-123", title="Renamed")
    await harness.send(event)
    await harness.wait_seq(board.id, 2)

    async def published() -> list[Any] | None:
        found = await harness.recorded_events(board.id)
        return found if len(found) >= 2 else None

    recorded = sorted(
        await wait_for(published, what="activity.recorded"), key=lambda e: e.data["seq"]
    )
    assert [r.data["seq"] for r in recorded] == [1, 2]
    second = recorded[1]
    entry = (await harness.activity(board.id, ada))["items"][0]
    assert second.type == "activity.recorded"
    assert second.source == "hintro/activity"
    assert second.board_id == board.id
    assert second.actor_id == ada
    assert second.origin_socket_id == "sid-123"
    assert second.correlation_id == event.correlation_id
    assert second.data == {
        "entryId": event.id,
        "seq": 2,
        "eventId": event.id,
        "eventType": "board.updated",
        "boardId": board.id,
        "actorId": ada,
        "occurredAt": entry["createdAt"],
        "data": event.data,
        "originSocketId": "sid-123",
    }
    assert "originSocketId" not in recorded[0].data

    async def drained() -> bool:
        doc = await harness.db["entries"].find_one({"_id": event.id})
        return doc is not None and doc["outboxPending"] == 0

    await wait_for(drained, what="the entry's outbox drained")


async def test_a_deleted_board_takes_its_log_with_it(harness: Harness) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    await harness.send(list_created(harness, board.id, ada, "To do"))
    await harness.wait_seq(board.id, 2)
    deleted = harness.event(
        "board.deleted", board.id, ada, boardId=board.id, version=board.version + 1
    )
    del harness.board_service.boards[board.id]
    await harness.send(deleted, deleted)

    async def gone() -> bool:
        view = await harness.db["boards"].find_one({"_id": board.id})
        titles = await harness.db["list_titles"].count_documents({"boardId": board.id})
        return (
            not await harness.entries(board.id)
            and await harness.log.board_deleted(board.id)
            and bool(view and view.get("deleted"))  # the board view's tombstone
            and titles == 0
        )

    await wait_for(gone, what="the log, the board view and the names deleted")
    # A late event of the deleted board is not logged; readers get 404.
    await harness.send(list_created(harness, board.id, ada, "Late"))
    status, _ = await harness.get(f"/api/boards/{board.id}/activity", ada)
    assert status == 404
    await asyncio.sleep(0.5)
    assert await harness.entries(board.id) == []


async def test_a_rename_names_new_entries_and_leaves_written_ones(harness: Harness) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    renamed = harness.event("user.renamed", None, None, userId=ada, name="Ada Lovelace")
    await harness.send(renamed)

    async def taken() -> bool:
        doc = await harness.db["users"].find_one({"_id": ada})
        return doc is not None and doc["name"] == "Ada Lovelace"

    await wait_for(taken, what="the new name")
    # A late, older rename and a replayed registration change nothing.
    older = new_event(
        "user.renamed",
        source="hintro/auth",
        data={"userId": ada, "name": "Stale"},
        actor_id=ada,
        time=renamed.time - timedelta(minutes=1),
    )
    replay = harness.event("user.registered", None, None, userId=ada, email="a@x.io", name="Ada")
    await harness.send(older, replay)
    await harness.send(harness.board_updated(board, ada, title="Renamed board"))
    await harness.wait_seq(board.id, 2)
    items = (await harness.activity(board.id, ada))["items"]
    assert [item["summary"] for item in items] == [
        "Ada Lovelace renamed the board to “Renamed board”",
        "Ada created the board “Board”",
    ]
    assert items[0]["actor"] == {"id": ada, "name": "Ada Lovelace"}
    assert items[1]["actor"] == {"id": ada, "name": "Ada"}


async def test_an_ownership_transfer_reads_as_such(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada)
    await harness.send(harness.member_added(board, ada, bob, "editor"))
    changes = [(bob, "owner", "editor"), (ada, "editor", "owner")]
    for user_id, role, previous in changes:
        board.version += 1
        await harness.send(
            harness.event(
                "board.member_role_changed",
                board.id,
                ada,
                boardId=board.id,
                userId=user_id,
                role=role,
                previousRole=previous,
                version=board.version,
            )
        )
    await harness.wait_seq(board.id, 4)
    items = (await harness.activity(board.id, ada))["items"]
    # Two events handled concurrently may take their seqs in either order.
    assert {item["summary"] for item in items[:2]} == {
        "Ada changed their role from owner to editor",
        "Ada made Bob the owner",
    }
