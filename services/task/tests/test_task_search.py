"""Cross-board search (``GET /api/search``) and the board filter (``GET
/api/boards/{id}/tasks?q=&assignee=&due=...``) through HTTP, on the real index the service's
consumer keeps from its own events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from hintro_shared.authz import Role
from hintro_testkit.boards import FakeBoard
from hintro_testkit.infra import unique, wait_for
from services.task.tests.support import Harness

pytestmark = pytest.mark.integration


async def search(harness: Harness, user: str, **params: Any) -> tuple[int, Any]:
    return await harness.request("GET", f"/api/search?{urlencode(params)}", user)


async def found(
    harness: Harness, user: str, q: str, count: int, *, archived: bool = False
) -> list[dict[str, Any]]:
    """The hits for ``q`` once there are ``count`` of them (the index follows events)."""

    async def enough() -> tuple[list[dict[str, Any]]] | None:
        extra = {"archived": "true"} if archived else {}
        status, body = await search(harness, user, q=q, limit=50, **extra)
        assert status == 200, body
        return (body["items"],) if len(body["items"]) == count else None

    return (await wait_for(enough, within=10, what=f"{count} hits for {q!r}"))[0]


async def test_search_ranks_title_over_description_and_words_over_prefixes(
    harness: Harness,
) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    word = unique("zebra").replace("_", "")
    in_description = await harness.create_task(board, owner, title="Plain", description=word)
    prefix_in_title = await harness.create_task(board, owner, title=f"{word}s herd")
    in_title = await harness.create_task(board, owner, title=f"The {word}")
    hits = await found(harness, owner, word, 3)
    assert [hit["taskId"] for hit in hits] == [
        in_title["id"],
        prefix_in_title["id"],
        in_description["id"],
    ]
    assert [hit["score"] for hit in hits] == [5, 4, 3]
    top = hits[0]
    assert top["kind"] == "task"
    assert top["commentId"] is None
    assert top["boardId"] == board.id
    assert top["boardTitle"] == "Board"
    assert top["listId"] == board.lists[0].id
    assert top["listTitle"] == "List"
    assert [top["title"][a:b] for a, b in top["titleMarks"]] == [word]
    last = hits[2]
    assert [last["snippet"][a:b] for a, b in last["snippetMarks"]] == [word]


async def test_every_word_must_match_and_ties_go_to_the_newest(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    tag = unique("alpha").replace("_", "")
    older = await harness.create_task(board, owner, title=f"{tag} bravo")
    newer = await harness.create_task(board, owner, title=f"{tag} bravo again")
    await harness.create_task(board, owner, title=f"{tag} charlie")
    hits = await found(harness, owner, f"{tag} bravo", 2)
    assert [hit["taskId"] for hit in hits] == [newer["id"], older["id"]]


async def test_pages_walk_every_hit_once(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    tag = unique("paged").replace("_", "")
    made = {(await harness.create_task(board, owner, title=f"{tag} {n}"))["id"] for n in range(5)}
    await found(harness, owner, tag, 5)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"q": tag, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        status, page = await search(harness, owner, **params)
        assert status == 200
        seen += [hit["taskId"] for hit in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert set(seen) == made
    status, _body = await search(harness, owner, q="other words", cursor=cursor or "x")
    assert status == 422


async def test_only_my_boards_and_a_removed_member_stops_finding(harness: Harness) -> None:
    owner, member, stranger = unique("owner"), unique("member"), unique("stranger")
    board = await harness.board(owner, members={member: Role.VIEWER})
    other = await harness.board(stranger)
    tag = unique("scope").replace("_", "")
    mine = await harness.create_task(board, owner, title=f"{tag} mine")
    await harness.create_task(other, stranger, title=f"{tag} theirs")
    hits = await found(harness, member, tag, 1)
    assert hits[0]["taskId"] == mine["id"]
    await found(harness, stranger, tag, 1)
    await harness.remove_member(board, member)
    assert await found(harness, member, tag, 0) == []


async def test_edits_moves_and_deletes_follow(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    old, new = unique("oldword").replace("_", ""), unique("newword").replace("_", "")
    task = await harness.create_task(board, owner, title=old)
    await found(harness, owner, old, 1)
    status, _ = await harness.request("PATCH", f"/api/tasks/{task['id']}", owner, {"title": new})
    assert status == 200
    await found(harness, owner, new, 1)
    assert await found(harness, owner, old, 0) == []
    status, _ = await harness.request(
        "POST", f"/api/tasks/{task['id']}/move", owner, {"listId": board.lists[1].id}
    )
    assert status == 200

    async def moved() -> bool | None:
        _, body = await search(harness, owner, q=new)
        return True if body["items"][0]["listId"] == board.lists[1].id else None

    await wait_for(moved, within=10, what="the hit in its new list")
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    assert await found(harness, owner, new, 0) == []

    async def archived_hit() -> bool | None:
        _, body = await search(harness, owner, q=new, archived="true")
        return True if [h["taskId"] for h in body["items"]] == [task["id"]] else None

    await wait_for(archived_hit, within=10, what="the archived task with archived=true")
    assert [h["taskId"] for h in await found(harness, owner, new, 1, archived=True)] == [task["id"]]
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", owner)
    assert status == 204
    await found(harness, owner, new, 0)

    async def gone() -> bool | None:
        _, body = await search(harness, owner, q=new, archived="true")
        return True if body["items"] == [] else None

    await wait_for(gone, within=10, what="the deleted task gone from archived search")


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": ""},
        {"q": "!!! ???"},
        {"q": "x" * 201},
        {"q": "ok", "limit": 0},
        {"q": "ok", "limit": 51},
        {"q": "ok", "cursor": "garbage"},
        {"q": "ok", "sort": "new"},
    ],
)
async def test_bad_search_input_is_422(harness: Harness, query: dict[str, Any]) -> None:
    status, body = await search(harness, unique("user"), **query)
    assert status == 422, body
    assert body["status"] == 422


async def test_search_needs_a_token(harness: Harness) -> None:
    async with harness.client.get("/api/search?q=x") as response:
        assert response.status == 401


# --- the board filter -----------------------------------------------------------------------


@pytest.fixture
async def board(harness: Harness) -> FakeBoard:
    return await harness.board(unique("owner"), members={unique("editor"): Role.EDITOR})


async def listing(harness: Harness, board: FakeBoard, user: str, **params: Any) -> tuple[int, Any]:
    return await harness.request("GET", f"/api/boards/{board.id}/tasks?{urlencode(params)}", user)


async def test_filter_by_text_assignee_and_due(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    editor = next(user for user, role in board.members.items() if role is Role.EDITOR)
    now = datetime.now(UTC)
    overdue = await harness.create_task(
        board, owner, title="Fix login", dueDate=(now - timedelta(days=1)).isoformat()
    )
    soon = await harness.create_task(
        board,
        owner,
        1,
        title="Write docs",
        description="about the login form",
        dueDate=(now + timedelta(days=3)).isoformat(),
        assigneeIds=[editor],
    )
    undated = await harness.create_task(board, owner, title="Other", assigneeIds=[owner])

    async def ids(user: str = owner, **params: Any) -> list[str]:
        status, body = await listing(harness, board, user, **params)
        assert status == 200, body
        assert body["next"] is None
        return [task["id"] for task in body["items"]]

    assert await ids(q="login") == [overdue["id"], soon["id"]]
    assert await ids(q="LOG form") == [soon["id"]]
    assert await ids(assignee="me") == [undated["id"]]
    assert await ids(editor, assignee="me") == [soon["id"]]
    assert await ids(assignee="none") == [overdue["id"]]
    assert await ids(assignee=f"none,{editor}") == [overdue["id"], soon["id"]]
    assert await ids(due="overdue") == [overdue["id"]]
    assert await ids(due="week") == [soon["id"]]
    assert await ids(due="none") == [undated["id"]]
    assert await ids(due="overdue,none") == [overdue["id"], undated["id"]]
    assert await ids(q="login", due="week", assignee=editor) == [soon["id"]]
    assert await ids(archived="true") == []


@pytest.mark.parametrize(
    "params",
    [
        {"due": "someday"},
        {"assignee": "not an id!"},
        {"labelIds": "a,b c"},
        {"q": "x", "limit": 10},
        {"q": "x", "cursor": "abc"},
        {"q": "x", "listId": "abc"},
        {"colour": "red"},
        {"q": "x" * 201},
    ],
)
async def test_bad_filters_are_422(
    harness: Harness, board: FakeBoard, params: dict[str, Any]
) -> None:
    status, body = await listing(harness, board, board.owner, **params)
    assert status == 422, body


async def test_filter_of_a_board_i_am_not_on_is_404(harness: Harness, board: FakeBoard) -> None:
    status, _ = await listing(harness, board, unique("stranger"), q="x")
    assert status == 404


async def test_filter_by_labels_and_due_done(harness: Harness, board: FakeBoard) -> None:
    owner = board.owner
    bug = await harness.add_label(board, "Bug", "red")
    idea = await harness.add_label(board, "Idea", "green")
    bugged = await harness.create_task(board, owner, title="A", labelIds=[bug])
    both = await harness.create_task(board, owner, title="B", labelIds=[idea, bug])
    ideas = await harness.create_task(board, owner, title="C", labelIds=[idea])
    done = await harness.create_task(
        board, owner, title="D", dueDate="2026-01-01T00:00:00Z", dueComplete=True
    )

    async def ids(**params: Any) -> list[str]:
        status, body = await listing(harness, board, owner, **params)
        assert status == 200, body
        return [task["id"] for task in body["items"]]

    assert await ids(labelIds=bug) == [bugged["id"], both["id"]]
    assert await ids(labelIds=f"{bug},{idea}") == [bugged["id"], both["id"], ideas["id"]]
    assert await ids(labelIds=idea, q="c") == [ideas["id"]]
    assert await ids(due="done") == [done["id"]]
    assert await ids(due="overdue") == []


async def test_comments_are_found_and_follow_edits_and_deletes(harness: Harness) -> None:
    owner = unique("owner")
    board = await harness.board(owner)
    task = await harness.create_task(board, owner, title="Plain card")
    word, other = unique("comm").replace("_", ""), unique("edit").replace("_", "")
    status, comment = await harness.request(
        "POST",
        f"/api/tasks/{task['id']}/comments",
        owner,
        {"text": f"Ask @[Ada Lovelace]({owner}) about the {word} plan"},
    )
    assert status == 201, comment
    hits = await found(harness, owner, word, 1)
    hit = hits[0]
    assert hit["kind"] == "comment"
    assert hit["commentId"] == comment["id"]
    assert hit["taskId"] == task["id"]
    assert hit["title"] == "Plain card"
    assert hit["snippet"] == f"Ask @Ada Lovelace about the {word} plan"
    assert [hit["snippet"][a:b] for a, b in hit["snippetMarks"]] == [word]
    assert hit["score"] == 3
    # A mention reads as its label: the user id is not a word of the comment.
    assert await found(harness, owner, f"{word} ada", 1)
    assert await found(harness, owner, f"{word} {owner}", 0) == []

    status, _ = await harness.request(
        "PATCH", f"/api/comments/{comment['id']}", owner, {"text": f"now {other}"}
    )
    assert status == 200
    await found(harness, owner, other, 1)
    assert await found(harness, owner, word, 0) == []
    status, _ = await harness.request("DELETE", f"/api/comments/{comment['id']}", owner)
    assert status == 204
    assert await found(harness, owner, other, 0) == []

    status, _ = await harness.request(
        "POST", f"/api/tasks/{task['id']}/comments", owner, {"text": f"again {word}"}
    )
    assert status == 201
    await found(harness, owner, word, 1)
    # Archived with its task, and back with it; gone with it when it is deleted.
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    assert status == 200
    assert await found(harness, owner, word, 0) == []
    assert [hit["kind"] for hit in await found(harness, owner, word, 1, archived=True)] == [
        "comment"
    ]
    status, _ = await harness.request("POST", f"/api/tasks/{task['id']}/restore", owner)
    assert status == 200
    await found(harness, owner, word, 1)
    await harness.request("POST", f"/api/tasks/{task['id']}/archive", owner)
    status, _ = await harness.request("DELETE", f"/api/tasks/{task['id']}", owner)
    assert status == 204
    assert await found(harness, owner, word, 0) == []
