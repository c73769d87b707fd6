"""Comments end to end through the gateway: the role rules (viewers read, non-members 404,
authors edit, authors or the owner delete), mentions stored as member ids, newest-first cursor
pages, the task's commentCount, the activity sentences, the comments a task's deletion takes
along, and bad input that is refused with a problem and changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
from pymongo import AsyncMongoClient

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    call,
    cast,
    create_board,
    create_list,
    create_task,
    ok,
)

WITHIN = 20.0  # REST write -> outbox -> activity, on a loaded 2-core machine


def mention(user: User) -> str:
    return f"@[{user.name}]({user.id})"


async def board_with_task(
    http: aiohttp.ClientSession, gateway_url: str
) -> tuple[dict[str, User], Any, Any]:
    people = await cast(http, gateway_url)
    owner = people["owner"]
    board = await create_board(http, owner, "Comments")
    await add_member(http, owner, board["id"], people["editor"], "editor")
    await add_member(http, owner, board["id"], people["viewer"], "viewer")
    listed = await create_list(http, owner, board["id"], "To do")
    task = await create_task(http, owner, board["id"], listed["id"], "Card")
    return people, board, task


async def post(http: aiohttp.ClientSession, user: User, task_id: str, text: str) -> Any:
    return await ok(
        http, user, "POST", f"api/tasks/{task_id}/comments", 201, json_body={"text": text}
    )


async def count(http: aiohttp.ClientSession, user: User, task_id: str) -> int:
    task = await ok(http, user, "GET", f"api/tasks/{task_id}")
    return int(task["commentCount"])


async def test_roles_mentions_and_count(stack: Stack, http: aiohttp.ClientSession) -> None:
    people, board, task = await board_with_task(http, stack.gateway_url)
    owner, editor, viewer, outsider = (people[k] for k in ("owner", "editor", "viewer", "outsider"))
    tid = task["id"]

    first = await post(
        http,
        editor,
        tid,
        f"Hey {mention(owner)} and {mention(viewer)}, not {mention(outsider)} <script>x</script>",
    )
    # Mentions are the members' ids, in order; the outsider's token is text only.
    assert first["mentions"] == [owner.id, viewer.id]
    assert "<script>x</script>" in first["text"]
    mine = await post(http, owner, tid, "The owner's comment")

    # Viewers read, but do not write.
    page = await ok(http, viewer, "GET", f"api/tasks/{tid}/comments")
    assert [c["id"] for c in page["items"]] == [mine["id"], first["id"]]
    (await call(http, viewer, "POST", f"api/tasks/{tid}/comments", json_body={"text": "x"})
     ).assert_problem(403)  # fmt: skip
    # Non-members: 404 everywhere, as if nothing existed.
    for method, path, body in (
        ("GET", f"api/tasks/{tid}/comments", None),
        ("POST", f"api/tasks/{tid}/comments", {"text": "x"}),
        ("PATCH", f"api/comments/{first['id']}", {"text": "x"}),
        ("DELETE", f"api/comments/{first['id']}", None),
    ):
        reply = await call(http, outsider, method, path, json_body=body)
        reply.assert_problem(404)
    # Authors edit; nobody else, not the owner either. Authors or the owner delete.
    (await call(http, owner, "PATCH", f"api/comments/{first['id']}", json_body={"text": "y"})
     ).assert_problem(403)  # fmt: skip
    (await call(http, editor, "DELETE", f"api/comments/{mine['id']}")).assert_problem(403)
    edited = await ok(
        http, editor, "PATCH", f"api/comments/{first['id']}", json_body={"text": "Edited"}
    )
    assert edited["version"] == 2
    assert edited["mentions"] == []
    assert await count(http, viewer, tid) == 2

    await ok(http, owner, "DELETE", f"api/comments/{first['id']}", 204)
    assert await count(http, viewer, tid) == 1
    tasks = await ok(http, viewer, "GET", f"api/boards/{board['id']}/tasks?all=true")
    assert [t["commentCount"] for t in tasks["items"] if t["id"] == tid] == [1]

    async def sentences() -> list[str] | None:
        page = await ok(http, viewer, "GET", f"api/boards/{board['id']}/activity?limit=100")
        found = [e["summary"] for e in page["items"] if e["type"].startswith("comment.")]
        return found if len(found) >= 4 else None

    found = await wait_for(sentences, within=WITHIN, what="the comments' activity entries")
    assert found == [
        "owner deleted editor's comment on “Card”",
        "editor edited a comment on “Card”",
        "owner commented on “Card”",
        "editor commented on “Card”",
    ]


async def test_pages_and_concurrent_comments(stack: Stack, http: aiohttp.ClientSession) -> None:
    people, _, task = await board_with_task(http, stack.gateway_url)
    owner, editor = people["owner"], people["editor"]
    tid = task["id"]
    made = await asyncio.gather(
        *(post(http, owner if i % 2 else editor, tid, f"Comment {i}") for i in range(9))
    )
    assert await count(http, owner, tid) == 9
    newest_first = sorted(made, key=lambda c: (c["createdAt"], c["id"]), reverse=True)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = "?limit=4" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = await ok(http, editor, "GET", f"api/tasks/{tid}/comments{query}")
        assert len(page["items"]) <= 4
        seen += [c["id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in newest_first]


async def test_bad_input_changes_nothing(stack: Stack, http: aiohttp.ClientSession) -> None:
    people, _, task = await board_with_task(http, stack.gateway_url)
    owner = people["owner"]
    tid = task["id"]
    kept = await post(http, owner, tid, "Kept")
    before = await ok(http, owner, "GET", f"api/tasks/{tid}")
    for method, path, body, status in (
        ("POST", f"api/tasks/{tid}/comments", {"text": " \n\t "}, 422),
        ("POST", f"api/tasks/{tid}/comments", {"text": "x" * 5001}, 422),
        ("POST", f"api/tasks/{tid}/comments", {"text": "x", "html": True}, 422),
        ("POST", f"api/tasks/{tid}/comments", ["x"], 422),
        ("PATCH", f"api/comments/{kept['id']}", {"text": ""}, 422),
        ("GET", f"api/tasks/{tid}/comments?cursor=bogus", None, 422),
        ("GET", f"api/tasks/{tid}/comments?order=asc", None, 422),
    ):
        (await call(http, owner, method, path, json_body=body)).assert_problem(status)
    not_json = await call(
        http,
        owner,
        "POST",
        f"api/tasks/{tid}/comments",
        data=b"text=hi",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    not_json.assert_problem(400)
    assert await ok(http, owner, "GET", f"api/tasks/{tid}") == before
    page = await ok(http, owner, "GET", f"api/tasks/{tid}/comments")
    assert [c["text"] for c in page["items"]] == ["Kept"]


async def test_deleting_the_task_removes_its_comments(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    people, _, task = await board_with_task(http, stack.gateway_url)
    owner = people["owner"]
    tid = task["id"]
    made = [await post(http, owner, tid, f"c{i}") for i in range(3)]
    await ok(http, owner, "DELETE", f"api/tasks/{tid}", 204)
    (await call(http, owner, "GET", f"api/tasks/{tid}/comments")).assert_problem(404)
    for comment in made:
        reply = await call(
            http, owner, "PATCH", f"api/comments/{comment['id']}", json_body={"text": "x"}
        )
        reply.assert_problem(404)

    # The task database holds none of them (not merely hidden).
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.infra_env["MONGO_URL"])
    comments = client[stack.mongo_db("task") or "hintro_task"]["comments"]

    async def none_left() -> bool:
        return await comments.count_documents({"taskId": tid}) == 0

    try:
        await wait_for(none_left, within=WITHIN, what="the deleted task's comments removed")
    finally:
        await client.close()
