"""The notification service end to end on real MongoDB, RabbitMQ and SMTP: events in,
notifications (and their notification.created events and e-mails) out, the routes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hintro_notification.domain import reminder_key
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.timeutil import epoch_millis, now_millis
from hintro_testkit.infra import wait_for
from services.notification.tests.support import Harness

pytestmark = pytest.mark.integration


async def test_an_assignment_notifies_the_assignee_and_not_the_actor(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob)
    task = await harness.task(board, ada, "Fix login")
    await harness.send(
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=bob,
            version=2,
        ),
        # Assigning oneself notifies nobody.
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=ada,
            version=3,
        ),
    )
    (item,) = await harness.wait_notifications(bob, 1)
    assert item["kind"] == "task.assigned"
    assert (item["boardId"], item["taskId"], item["actorId"]) == (board.id, task, ada)
    assert item["data"] == {"actorName": "Ada", "taskTitle": "Fix login", "boardTitle": "Roadmap"}
    assert item["read"] is False
    assert (await harness.notifications(ada))["items"] == []
    page = await harness.notifications(bob)
    assert page["unreadCount"] == 1

    async def published() -> bool:
        return any(e.data["id"] == item["id"] for e in await harness.probe.envelopes())

    await wait_for(published, what="notification.created")


async def test_a_redelivered_event_notifies_once(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada)
    added = harness.event(
        "board.member_added",
        board.id,
        ada,
        boardId=board.id,
        userId=bob,
        role="editor",
        version=2,
    )
    await harness.send(added, added)
    (item,) = await harness.wait_notifications(bob, 1)
    assert item["kind"] == "board.member_added"
    removed = harness.event(
        "board.member_removed",
        board.id,
        ada,
        boardId=board.id,
        userId=bob,
        role="editor",
        version=3,
    )
    await harness.send(removed)
    items = await harness.wait_notifications(bob, 2)
    assert [i["kind"] for i in items] == ["board.member_removed", "board.member_added"]


async def test_read_one_read_all_and_pages(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob)
    tasks = [await harness.task(board, ada, f"Card {i}") for i in range(3)]
    for v, task in enumerate(tasks, start=2):
        await harness.send(
            harness.event(
                "task.assigned",
                board.id,
                ada,
                taskId=task,
                boardId=board.id,
                listId="l1",
                userId=bob,
                version=v,
            )
        )
    items = await harness.wait_notifications(bob, 3)
    first = await harness.notifications(bob, limit=2)
    assert [i["id"] for i in first["items"]] == [i["id"] for i in items[:2]]
    second = await harness.notifications(bob, limit=2, cursor=first["next"])
    assert [i["id"] for i in second["items"]] == [items[2]["id"]]
    assert second["next"] is None

    status, _ = await harness.call("POST", f"/api/notifications/{items[0]['id']}/read", bob)
    assert status == 204
    assert (await harness.notifications(bob))["unreadCount"] == 2
    # Someone else's notification is not found.
    status, problem = await harness.call("POST", f"/api/notifications/{items[1]['id']}/read", ada)
    assert status == 404, problem
    status, body = await harness.call("POST", "/api/notifications/read-all", bob)
    assert (status, body) == (200, {"marked": 2})
    page = await harness.notifications(bob)
    assert page["unreadCount"] == 0
    assert all(i["read"] for i in page["items"])
    status, problem = await harness.call("GET", "/api/notifications", bob, sort="x")
    assert status == 422, problem


async def test_a_move_notifies_assignees_and_watchers_but_not_the_mover(harness: Harness) -> None:
    ada, bob, cy = [await harness.user(n) for n in ("Ada", "Bob", "Cy")]
    board = await harness.board(ada, bob, cy)
    task = await harness.task(board, ada, "Ship it")
    await harness.send(
        harness.event(
            "list.created",
            board.id,
            ada,
            listId="l2",
            boardId=board.id,
            title="Done",
            position="b0",
            createdAt=datetime.now(UTC),
            version=1,
        ),
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=bob,
            version=2,
        ),
    )
    await harness.wait_notifications(bob, 1)
    status, body = await harness.call("PUT", f"/api/tasks/{task}/watch", cy)
    assert (status, body) == (200, {"watching": True})
    status, body = await harness.call("GET", f"/api/tasks/{task}/watch", cy)
    assert (status, body) == (200, {"watching": True})
    outsider = await harness.user("Eve")
    status, _ = await harness.call("PUT", f"/api/tasks/{task}/watch", outsider)
    assert status == 404
    await harness.send(
        harness.event(
            "task.moved",
            board.id,
            bob,
            taskId=task,
            boardId=board.id,
            fromListId="l1",
            toListId="l2",
            position="a0",
            version=3,
            title="Ship it",
        )
    )
    (moved,) = await harness.wait_notifications(cy, 1)
    assert moved["kind"] == "task.moved"
    assert moved["data"]["toListTitle"] == "Done"
    # The mover (an assignee) hears nothing of their own move; the creator does not follow it.
    assert [i["kind"] for i in (await harness.notifications(bob))["items"]] == ["task.assigned"]
    assert (await harness.notifications(ada))["items"] == []
    status, body = await harness.call("DELETE", f"/api/tasks/{task}/watch", cy)
    assert (status, body) == (200, {"watching": False})


async def test_a_due_soon_reminder_is_sent_once(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob)
    due = now_millis() + timedelta(hours=3)
    task = await harness.task(board, ada, "Report", due=due)
    await harness.send(
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=bob,
            version=2,
        )
    )
    await harness.wait_notifications(bob, 1)
    now = epoch_millis(now_millis())
    # Two pollers at once (two replicas), then another poll: one reminder.
    created = [await harness.service.remind_due(now) for _ in range(3)]
    assert sum(created) == 1
    items = (await harness.notifications(bob))["items"]
    assert [i["kind"] for i in items] == ["task.due_soon", "task.assigned"]
    assert items[0]["actorId"] is None
    assert items[0]["data"]["dueDate"].startswith(due.strftime("%Y-%m-%dT%H:%M"))
    doc = await harness.db["tasks"].find_one({"_id": task})
    assert doc is not None
    assert doc["remind"] == 0
    assert reminder_key(task, epoch_millis(due)) == f"due:{task}:{epoch_millis(due)}"


async def test_a_due_date_far_away_is_not_reminded_yet(harness: Harness) -> None:
    ada = await harness.user("Ada")
    board = await harness.board(ada)
    await harness.task(board, ada, "Later", due=now_millis() + timedelta(days=3))
    assert await harness.service.remind_due(epoch_millis(now_millis())) == 0


async def test_the_immediate_email_preference_sends_a_real_email(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob, title="Launch")
    task = await harness.task(board, ada, "Press kit")
    status, body = await harness.call("GET", "/api/notifications/settings", bob)
    assert (status, body) == (200, {"email": "off"})
    status, body = await harness.call(
        "PUT", "/api/notifications/settings", bob, {"email": "immediate"}
    )
    assert (status, body) == (200, {"email": "immediate"})
    status, _ = await harness.call("PUT", "/api/notifications/settings", bob, {"email": "weekly"})
    assert status == 422
    await harness.send(
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=bob,
            version=2,
        )
    )
    address = f"{bob}@example.test"

    async def mailed() -> bool:
        return bool(harness.mail.to(address))

    await wait_for(mailed, within=15, what="the e-mail")
    (message,) = harness.mail.to(address)
    assert message.subject == "Ada assigned you to “Press kit” on “Launch”."
    assert f"/boards/{board.id}/cards/{task}" in message.text
    # Ada's preference is off: no e-mail for her.
    assert not harness.mail.to(f"{ada}@example.test")


def comment_event(
    event_type: str, board: str, task: str, author: str, version: int, **data: Any
) -> EventEnvelope:
    """A comment event as the task service publishes it."""
    when = datetime.now(UTC)
    extra: dict[str, Any] = (
        {"createdAt": when, "commentCount": 1, "taskVersion": version}
        if event_type == "comment.created"
        else {"updatedAt": when}
    )
    return new_event(
        event_type,
        source="hintro/task",
        board_id=board,
        actor_id=author,
        data={
            "commentId": uuid.uuid4().hex,
            "taskId": task,
            "boardId": board,
            "listId": "l1",
            "authorId": author,
            "version": 1,
            "title": "Spec",
            **extra,
            **data,
        },
    )


async def test_a_comment_notifies_the_mentioned_and_the_followers_once(harness: Harness) -> None:
    ada, bob, cy, dee = [await harness.user(n) for n in ("Ada", "Bob", "Cy", "Dee")]
    board = await harness.board(ada, bob, cy, dee)
    task = await harness.task(board, ada, "Spec")
    await harness.send(
        harness.event(
            "task.assigned",
            board.id,
            ada,
            taskId=task,
            boardId=board.id,
            listId="l1",
            userId=bob,
            version=2,
        )
    )
    await harness.wait_notifications(bob, 1)
    status, _ = await harness.call("PUT", f"/api/boards/{board.id}/watch", cy)
    assert status == 200
    # Dee comments and mentions Bob (an assignee) and Ada: Bob gets the mention only, Ada
    # the mention, Cy (watching the board) the comment; Dee nothing.
    await harness.send(
        comment_event("comment.created", board.id, task, dee, 3, mentions=[bob, ada, dee])
    )
    await harness.wait_notifications(cy, 1)
    bob_items = await harness.wait_notifications(bob, 2)
    assert [i["kind"] for i in bob_items] == ["comment.mention", "task.assigned"]
    assert [i["kind"] for i in await harness.wait_notifications(ada, 1)] == ["comment.mention"]
    (cy_item,) = (await harness.notifications(cy))["items"]
    assert cy_item["kind"] == "task.commented"
    assert cy_item["data"]["taskTitle"] == "Spec"
    assert cy_item["actorId"] == dee
    # An edit that adds a mention notifies only the newly mentioned.
    await harness.send(
        comment_event(
            "comment.updated", board.id, task, dee, 3, mentions=[bob, cy], addedMentions=[cy]
        )
    )
    cy_items = await harness.wait_notifications(cy, 2)
    assert [i["kind"] for i in cy_items] == ["comment.mention", "task.commented"]
    assert (await harness.notifications(dee))["items"] == []
    assert len((await harness.notifications(bob))["items"]) == 2


async def test_a_done_or_archived_card_is_not_reminded(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob)
    soon = now_millis() + timedelta(hours=2)
    done = await harness.task(board, ada, "Done already", due=soon)
    archived = await harness.task(board, ada, "Shelved", due=soon)
    for task in (done, archived):
        await harness.send(
            harness.event(
                "task.assigned",
                board.id,
                ada,
                taskId=task,
                boardId=board.id,
                listId="l1",
                userId=bob,
                version=2,
            )
        )
    await harness.send(
        harness.event(
            "task.updated",
            board.id,
            ada,
            taskId=done,
            boardId=board.id,
            listId="l1",
            version=3,
            dueComplete=True,
        ),
        harness.event(
            "task.archived",
            board.id,
            ada,
            taskId=archived,
            boardId=board.id,
            listId="l1",
            version=3,
            withList=False,
            archivedAt=datetime.now(UTC),
        ),
    )

    async def settled() -> bool:
        docs = [await harness.db["tasks"].find_one({"_id": t}) for t in (done, archived)]
        return all(doc is not None and doc.get("remind") == 0 for doc in docs)

    await wait_for(settled, what="both cards owe no reminder")
    assert await harness.service.remind_due(epoch_millis(now_millis())) == 0


async def test_a_disabled_webhook_notifies_whoever_registered_it_once(harness: Harness) -> None:
    ada, bob = await harness.user("Ada"), await harness.user("Bob")
    board = await harness.board(ada, bob, title="Hooks")
    disabled = harness.event(
        "webhook.endpoint_disabled",
        board.id,
        None,
        endpointId="e1",
        boardId=board.id,
        userId=ada,
        url="https://hooks.example/in",
        reason="failing for too long",
        failingSince="2026-12-05T10:00:00.000Z",
    )
    await harness.send(disabled, disabled)
    (item,) = await harness.wait_notifications(ada, 1)
    assert item["kind"] == "webhook.endpoint_disabled"
    assert item["boardId"] == board.id
    assert item["data"]["url"] == "https://hooks.example/in"
    assert item["data"]["boardTitle"] == "Hooks"
    assert (await harness.notifications(bob))["items"] == []
    assert (await harness.notifications(ada))["unreadCount"] == 1
