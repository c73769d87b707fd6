"""Comments on tasks: who may do what, the text and mention rules, newest-first pages, the
task's ``commentCount`` (with its events) under concurrency, redelivery and a crash between the
two writes, and the comments a task's deletion takes along."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from hintro_shared.authz import Role
from hintro_shared.timeutil import now_millis, rfc3339
from hintro_task.domain import Comment, EventContext, mentioned_ids
from hintro_task.repository import CommentRepository, TaskRepository
from hintro_task.routes import COMMENT_SERVICE
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


def mention(user_id: str, label: str = "Ada Lovelace") -> str:
    return f"@[{label}]({user_id})"


async def comment(harness: Harness, task_id: str, user: str, text: str = "Hello") -> Any:
    status, body = await harness.request(
        "POST", f"/api/tasks/{task_id}/comments", user, {"text": text}
    )
    assert status == 201, body
    return body


async def task_of(harness: Harness, task_id: str, user: str) -> Any:
    status, task = await harness.request("GET", f"/api/tasks/{task_id}", user)
    assert status == 200
    return task


async def setup(harness: Harness) -> tuple[FakeBoard, str, str, str, Any]:
    owner, editor, viewer = unique("owner"), unique("editor"), unique("viewer")
    board = await harness.board(owner, members={editor: Role.EDITOR, viewer: Role.VIEWER})
    task = await harness.create_task(board, owner)
    return board, owner, editor, viewer, task


def test_mention_tokens_allow_spaces_and_ignore_look_alikes() -> None:
    text = (
        "@[Ada Lovelace](a1) and @[Bob](b_2-x) again @[Ada](a1), not @Ada, "
        "not @[broken\nlabel](c3), not [x](d4)"
    )
    assert mentioned_ids(text) == ("a1", "b_2-x")


async def test_create_list_and_count(harness: Harness) -> None:
    board, owner, editor, viewer, task = await setup(harness)
    tid = task["id"]
    assert task["commentCount"] == 0
    outsider = unique("outsider")
    first = await comment(
        harness, tid, editor, f"  **Hi** {mention(owner)} and {mention(outsider, 'Eve')}  \n"
    )
    assert first["text"] == f"**Hi** {mention(owner)} and {mention(outsider, 'Eve')}"
    assert first["mentions"] == [owner]  # a non-member's token is text, not a mention
    assert first["authorId"] == editor
    assert first["taskId"] == tid
    assert first["boardId"] == board.id
    assert first["version"] == 1
    assert first["createdAt"] == first["updatedAt"]
    second = await comment(harness, tid, owner, "Second")

    counted = await task_of(harness, tid, viewer)
    assert counted["commentCount"] == 2
    assert counted["version"] == task["version"] + 2  # each count change is a task change
    status, page = await harness.request("GET", f"/api/tasks/{tid}/comments", viewer)
    assert status == 200
    assert [c["id"] for c in page["items"]] == [second["id"], first["id"]]
    assert page["next"] is None
    status, listing = await harness.request("GET", f"/api/boards/{board.id}/tasks?all=true", owner)
    assert [t["commentCount"] for t in listing["items"] if t["id"] == tid] == [2]

    events = [e for e in await harness.wait_events(tid, 3) if e.type.startswith("comment.")]
    assert [e.type for e in events] == ["comment.created", "comment.created"]
    created = events[0].data
    assert created["commentId"] == first["id"]
    assert created["mentions"] == [owner]
    assert created["commentCount"] == 1
    assert created["taskVersion"] == task["version"] + 1
    assert created["authorId"] == editor
    assert created["listId"] == task["listId"]
    assert created["title"] == task["title"]
    assert "text" not in created
    assert events[0].actor_id == editor
    assert events[0].board_id == board.id
    assert events[1].data["commentCount"] == 2


async def test_roles(harness: Harness) -> None:
    board, owner, editor, viewer, task = await setup(harness)
    tid = task["id"]
    outsider = unique("outsider")
    mine = await comment(harness, tid, editor, "mine")
    owners = await comment(harness, tid, owner, "owner's")

    # Viewers read but cannot write; outsiders learn nothing.
    status, _ = await harness.request("POST", f"/api/tasks/{tid}/comments", viewer, {"text": "x"})
    assert status == 403
    for method, path, body in (
        ("GET", f"/api/tasks/{tid}/comments", None),
        ("POST", f"/api/tasks/{tid}/comments", {"text": "x"}),
        ("PATCH", f"/api/comments/{mine['id']}", {"text": "x"}),
        ("DELETE", f"/api/comments/{mine['id']}", None),
    ):
        status, _ = await harness.request(method, path, outsider, body)
        assert status == 404, (method, path)
    # Only the author edits; the owner may delete anyone's, an editor only their own.
    status, _ = await harness.request("PATCH", f"/api/comments/{mine['id']}", owner, {"text": "y"})
    assert status == 403
    status, _ = await harness.request("DELETE", f"/api/comments/{owners['id']}", editor)
    assert status == 403
    status, _ = await harness.request("DELETE", f"/api/comments/{mine['id']}", viewer)
    assert status == 403
    assert (await task_of(harness, tid, owner))["commentCount"] == 2

    status, edited = await harness.request(
        "PATCH", f"/api/comments/{mine['id']}", editor, {"text": "mine, edited"}
    )
    assert status == 200
    assert edited["version"] == 2
    assert edited["text"] == "mine, edited"
    status, _ = await harness.request("DELETE", f"/api/comments/{mine['id']}", owner)
    assert status == 204
    status, _ = await harness.request("DELETE", f"/api/comments/{owners['id']}", owner)
    assert status == 204
    status, _ = await harness.request("DELETE", f"/api/comments/{owners['id']}", owner)
    assert status == 404
    assert (await task_of(harness, tid, viewer))["commentCount"] == 0
    status, page = await harness.request("GET", f"/api/tasks/{tid}/comments", viewer)
    assert page["items"] == []

    # A demoted author may no longer edit (viewers do not write).
    await harness.add_member(board, editor, Role.VIEWER)
    await harness.settled(board)
    again = await comment(harness, tid, owner, "another")
    status, _ = await harness.request(
        "PATCH", f"/api/comments/{again['id']}", editor, {"text": "z"}
    )
    assert status == 403


async def test_bad_input_changes_nothing(harness: Harness) -> None:
    _, owner, _, _, task = await setup(harness)
    tid = task["id"]
    kept = await comment(harness, tid, owner, "kept")
    before = await task_of(harness, tid, owner)
    cases: list[tuple[str, str, Any, int]] = [
        ("POST", f"/api/tasks/{tid}/comments", {"text": "   \n "}, 422),
        ("POST", f"/api/tasks/{tid}/comments", {"text": "x" * 5001}, 422),
        ("POST", f"/api/tasks/{tid}/comments", {"text": "x", "extra": 1}, 422),
        ("POST", f"/api/tasks/{tid}/comments", {"text": 5}, 422),
        ("POST", f"/api/tasks/{tid}/comments", {}, 422),
        ("POST", "/api/tasks/no-such-task/comments", {"text": "x"}, 404),
        ("POST", "/api/tasks/bad%20id/comments", {"text": "x"}, 404),
        ("PATCH", f"/api/comments/{kept['id']}", {"text": ""}, 422),
        ("PATCH", "/api/comments/nope", {"text": "x"}, 404),
        ("DELETE", "/api/comments/nope", None, 404),
        ("GET", f"/api/tasks/{tid}/comments?cursor=not-ours", None, 422),
        ("GET", f"/api/tasks/{tid}/comments?limit=0", None, 422),
        ("GET", f"/api/tasks/{tid}/comments?limit=101", None, 422),
        ("GET", f"/api/tasks/{tid}/comments?sort=old", None, 422),
    ]
    for method, path, body, expected in cases:
        status, problem = await harness.request(method, path, owner, body)
        assert status == expected, (method, path, body, problem)
    assert await task_of(harness, tid, owner) == before
    status, page = await harness.request("GET", f"/api/tasks/{tid}/comments", owner)
    assert [c["text"] for c in page["items"]] == ["kept"]
    # 5,000 characters after trimming is the limit, not more.
    longest = await comment(harness, tid, owner, " " + "x" * 5000 + " ")
    assert len(longest["text"]) == 5000


async def test_pages_newest_first_without_repeats(harness: Harness) -> None:
    _, owner, _, _, task = await setup(harness)
    tid = task["id"]
    made = [(await comment(harness, tid, owner, f"c{i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = await harness.request("GET", f"/api/tasks/{tid}/comments{query}", owner)
        assert status == 200
        assert len(page["items"]) <= 3
        seen += [c["id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


async def test_edit_reports_added_mentions_and_same_text_is_no_change(harness: Harness) -> None:
    _, owner, editor, viewer, task = await setup(harness)
    tid = task["id"]
    first = await comment(harness, tid, editor, f"hi {mention(owner)}")
    status, same = await harness.request(
        "PATCH", f"/api/comments/{first['id']}", editor, {"text": f" hi {mention(owner)} "}
    )
    assert status == 200
    assert same == first
    status, edited = await harness.request(
        "PATCH",
        f"/api/comments/{first['id']}",
        editor,
        {"text": f"hi {mention(owner)} {mention(viewer, 'Vic')}"},
    )
    assert status == 200
    assert edited["mentions"] == [owner, viewer]
    assert edited["version"] == 2
    assert edited["updatedAt"] > edited["createdAt"]
    # An edit does not change the task.
    assert (await task_of(harness, tid, owner))["version"] == task["version"] + 1

    async def updated() -> Any:
        found = [e for e in await harness.events(tid) if e.type == "comment.updated"]
        return found or None

    events = await wait_for(updated, within=10, what="comment.updated")
    assert len(events) == 1
    data = events[0].data
    assert data["mentions"] == [owner, viewer]
    assert data["addedMentions"] == [viewer]
    assert data["version"] == 2
    assert "text" not in data


async def test_count_is_right_under_concurrency(harness: Harness) -> None:
    _, owner, editor, _, task = await setup(harness)
    tid = task["id"]
    made = await asyncio.gather(
        *(comment(harness, tid, owner if i % 2 else editor, f"c{i}") for i in range(12))
    )
    assert (await task_of(harness, tid, owner))["commentCount"] == 12
    # Deleting the same comment many times at once counts it once.
    results = await asyncio.gather(
        *(harness.request("DELETE", f"/api/comments/{made[0]['id']}", owner) for _ in range(6))
    )
    assert sorted(status for status, _ in results).count(204) == 1
    final = await task_of(harness, tid, owner)
    assert final["commentCount"] == 11

    events = [e for e in await harness.wait_events(tid, 14) if e.type.startswith("comment.")]
    # Every count change is its own task version, announced with the count it produced.
    by_version = sorted((e.data["taskVersion"], e.data["commentCount"]) for e in events)
    assert [v for v, _ in by_version] == list(range(2, 15))
    assert by_version[-1] == (final["version"], 11)


async def test_a_crash_between_the_writes_is_healed_once(harness: Harness) -> None:
    _, owner, _, _, task = await setup(harness)
    tid = task["id"]
    comments = CommentRepository(harness.db)
    tasks = TaskRepository(harness.db)
    service = harness.app[COMMENT_SERVICE]
    old = now_millis() - timedelta(minutes=1)
    ctx = EventContext(actor_id=owner, correlation_id="req-crashed")

    def orphan(text: str) -> Comment:
        return Comment(
            id=uuid.uuid4().hex,
            task_id=tid,
            board_id=task["boardId"],
            author_id=owner,
            text=text,
            mentions=(),
            created_at=old,
            updated_at=old,
            version=1,
        )

    # Died after storing the comment, before the task counted it.
    uncounted = orphan("uncounted")
    await comments.insert_pending(uncounted, ctx, rfc3339(old))
    # Died after the task counted it, before the comment was shown.
    counted = orphan("counted")
    await comments.insert_pending(counted, ctx, rfc3339(old))
    await service._count(counted, "create", ctx)
    assert (await task_of(harness, tid, owner))["commentCount"] == 1
    _, page = await harness.request("GET", f"/api/tasks/{tid}/comments", owner)
    assert page["items"] == []  # pending comments are not shown

    assert await service.heal_pending() >= 2
    assert await service.heal_pending() == 0
    healed = await task_of(harness, tid, owner)
    assert healed["commentCount"] == 2
    _status, page = await harness.request("GET", f"/api/tasks/{tid}/comments", owner)
    assert {c["text"] for c in page["items"]} == {"uncounted", "counted"}
    # Redoing a counted operation (a redelivered heal) changes nothing.
    assert await service._count(counted, "create", ctx) is not None
    assert await task_of(harness, tid, owner) == healed
    assert await tasks.comment_counted(tid, f"create-{counted.id}")

    # A deletion that died after flagging the comment is finished too.
    flagged = await comments.get(counted.id)
    assert flagged is not None
    assert await comments.mark_deleting(flagged, ctx, rfc3339(old))
    assert await service.heal_pending() == 1
    assert (await task_of(harness, tid, owner))["commentCount"] == 1
    assert await harness.db["comments"].find_one({"_id": counted.id}) is None

    events = [e for e in await harness.wait_events(tid, 4) if e.type.startswith("comment.")]
    assert [e.type for e in events] == ["comment.created"] * 2 + ["comment.deleted"]
    assert all(e.correlation_id == "req-crashed" for e in events)


async def test_deleting_the_task_removes_its_comments(harness: Harness) -> None:
    board, owner, _, _, task = await setup(harness)
    other = await harness.create_task(board, owner)
    for i in range(3):
        await comment(harness, task["id"], owner, f"c{i}")
    kept = await comment(harness, other["id"], owner, "kept")
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200  # only an archived task is deleted for good
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", owner)
    assert status == 204
    assert await harness.db["comments"].count_documents({"taskId": task["id"]}) == 0
    status, _ = await harness.request("GET", f"/api/tasks/{task['id']}/comments", owner)
    assert status == 404
    assert await harness.db["comments"].count_documents({"_id": kept["id"]}) == 1

    # The consumer of task.deleted removes what a crash left behind.
    stray = uuid.uuid4().hex
    await harness.db["comments"].insert_one(
        {"_id": uuid.uuid4().hex, "taskId": stray, "boardId": board.id, "text": "left"}
    )
    await harness.publish(
        "task.deleted", board.id, taskId=stray, boardId=board.id, listId="l", version=2
    )

    async def gone() -> bool:
        return await harness.db["comments"].count_documents({"taskId": stray}) == 0

    await wait_for(gone, within=10, what="stray comments removed")


async def test_a_deleted_list_takes_its_tasks_comments(harness: Harness) -> None:
    board, owner, _, _, task = await setup(harness)
    await comment(harness, task["id"], owner, "bye")
    board.version += 1
    await harness.publish(
        "list.deleted",
        board.id,
        listId=board.lists[0].id,
        boardId=board.id,
        version=2,
    )

    async def gone() -> bool:
        return await harness.db["comments"].count_documents({"taskId": task["id"]}) == 0

    await wait_for(gone, within=10, what="comments of the deleted list's task removed")


async def test_an_archived_tasks_comments_are_read_only_and_restored_with_it(
    harness: Harness,
) -> None:
    _, owner, editor, _, task = await setup(harness)
    tid = task["id"]
    first = await comment(harness, tid, editor, "before")
    status, archived = await harness.request("POST", f"/api/tasks/{tid}/archive", owner)
    assert status == 200
    assert archived["commentCount"] == 1
    status, page = await harness.request("GET", f"/api/tasks/{tid}/comments", editor)
    assert status == 200
    assert [c["id"] for c in page["items"]] == [first["id"]]
    for method, path, body in (
        ("POST", f"/api/tasks/{tid}/comments", {"text": "x"}),
        ("PATCH", f"/api/comments/{first['id']}", {"text": "x"}),
        ("DELETE", f"/api/comments/{first['id']}", None),
    ):
        status, _ = await harness.request(method, path, editor, body)
        assert status == 409, (method, path)
    assert await task_of(harness, tid, owner) == archived
    status, restored = await harness.request("POST", f"/api/tasks/{tid}/restore", owner)
    assert status == 200
    assert restored["commentCount"] == 1

    async def restored_event() -> Any:
        found = [e for e in await harness.events(tid) if e.type == "task.restored"]
        return found or None

    events = await wait_for(restored_event, within=10, what="task.restored")
    assert events[0].data["commentCount"] == 1
