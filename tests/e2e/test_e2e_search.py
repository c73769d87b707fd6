"""Search across my boards and the board filter, end to end through the gateway: real users,
boards, members and tasks; the index follows the events, so results are awaited."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pymongo import AsyncMongoClient

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    call,
    create_board,
    create_label,
    create_list,
    create_task,
    ok,
    register,
)


def _word(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _search(http: aiohttp.ClientSession, user: User, **params: Any) -> Any:
    return await ok(http, user, "GET", f"api/search?{urlencode(params)}")


async def _hits(http: aiohttp.ClientSession, user: User, q: str, count: int) -> list[Any]:
    """The hits for ``q`` once there are exactly ``count``."""

    async def settled() -> tuple[list[Any]] | None:
        items = (await _search(http, user, q=q, limit=50))["items"]
        return (items,) if len(items) == count else None

    return (await wait_for(settled, within=15.0, what=f"{count} hits for {q!r}"))[0]


async def test_search_finds_only_my_boards_tasks_ranked(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    word = _word("kiwi")
    mine = await create_board(http, ada, "Fruit board")
    todo = await create_list(http, ada, mine["id"], "To do")
    theirs = await create_board(http, bob, "Bob's board")
    bob_list = await create_list(http, bob, theirs["id"])
    described = await create_task(
        http, ada, mine["id"], todo["id"], "Buy fruit", description=f"a {word} or two"
    )
    titled = await create_task(http, ada, mine["id"], todo["id"], f"Peel the {word}")
    await create_task(http, bob, theirs["id"], bob_list["id"], f"{word} for Bob")

    hits = await _hits(http, ada, word, 2)
    assert [hit["taskId"] for hit in hits] == [titled["id"], described["id"]]
    top = hits[0]
    assert (top["boardId"], top["boardTitle"]) == (mine["id"], "Fruit board")
    assert (top["listId"], top["listTitle"]) == (todo["id"], "To do")
    assert [top["title"][a:b] for a, b in top["titleMarks"]] == [word]
    second = hits[1]
    assert [second["snippet"][a:b] for a, b in second["snippetMarks"]] == [word]
    # A prefix finds it too; Bob sees only his own.
    assert next(h["taskId"] for h in await _hits(http, ada, word[:6], 2)) == titled["id"]
    assert [h["boardId"] for h in await _hits(http, bob, word, 1)] == [theirs["id"]]


async def test_hits_of_a_board_older_than_the_index_get_its_titles(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    word = _word("pear")
    board = await create_board(http, ada, "Orchard")
    column = await create_list(http, ada, board["id"], "Picked")
    await create_task(http, ada, board["id"], column["id"], f"Sort the {word}")
    await _hits(http, ada, word, 1)
    # A board made before the index: its creation events were consumed before the index was
    # there, so the index holds no titles for it.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.infra_env["MONGO_URL"])
    names = client[stack.mongo_db("task") or "hintro_task"]["search_names"]
    try:
        keys = [f"board:{board['id']}", f"list:{column['id']}"]
        await names.delete_many({"_id": {"$in": keys}})
        hit = (await _hits(http, ada, word, 1))[0]
        assert (hit["boardTitle"], hit["listTitle"]) == ("Orchard", "Picked")
        # Learnt once and remembered: the next search reads them from the index.
        assert {doc["_id"]: doc["title"] async for doc in names.find({"_id": {"$in": keys}})} == {
            keys[0]: "Orchard",
            keys[1]: "Picked",
        }
    finally:
        await client.close()


async def test_search_pages_with_a_cursor(stack: Stack, http: aiohttp.ClientSession) -> None:
    ada = await register(http, "Ada")
    word = _word("page")
    board = await create_board(http, ada)
    column = await create_list(http, ada, board["id"])
    made = {
        (await create_task(http, ada, board["id"], column["id"], f"{word} {n}"))["id"]
        for n in range(7)
    }
    await _hits(http, ada, word, 7)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": word, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = await _search(http, ada, **params)
        pages += 1
        seen += [hit["taskId"] for hit in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(made)


async def test_a_removed_member_no_longer_finds_the_boards_tasks(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    word = _word("secret")
    board = await create_board(http, ada)
    column = await create_list(http, ada, board["id"])
    await add_member(http, ada, board["id"], bob, "viewer")
    await create_task(http, ada, board["id"], column["id"], f"The {word} plan")
    await _hits(http, bob, word, 1)
    await ok(http, ada, "DELETE", f"api/boards/{board['id']}/members/{bob.id}", 204)
    assert await _hits(http, bob, word, 0) == []
    assert len(await _hits(http, ada, word, 1)) == 1


async def test_bad_search_input_is_a_problem(stack: Stack, http: aiohttp.ClientSession) -> None:
    ada = await register(http, "Ada")
    for query in ("", "q=", "q=%21%21%21", "q=x&limit=0", "q=x&limit=51", "q=x&cursor=zz",
                  "q=x&page=2", f"q={'x' * 201}"):  # fmt: skip
        (await call(http, ada, "GET", f"api/search?{query}")).assert_problem(422)
    assert (await call(http, None, "GET", "api/search?q=x")).status == 401


async def test_board_filter_through_the_gateway(stack: Stack, http: aiohttp.ClientSession) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada)
    column = await create_list(http, ada, board["id"])
    await add_member(http, ada, board["id"], bob, "editor")
    word = _word("filt")
    mine = await create_task(
        http, ada, board["id"], column["id"], f"{word} one", assigneeIds=[ada.id]
    )
    bobs = await create_task(
        http, ada, board["id"], column["id"], f"{word} two", assigneeIds=[bob.id]
    )
    nobody = await create_task(http, ada, board["id"], column["id"], "unrelated")
    path = f"api/boards/{board['id']}/tasks"

    async def ids(user: User, query: str) -> list[str]:
        return [task["id"] for task in (await ok(http, user, "GET", f"{path}?{query}"))["items"]]

    assert await ids(ada, f"q={word}") == [mine["id"], bobs["id"]]
    assert await ids(bob, f"q={word}&assignee=me") == [bobs["id"]]
    assert await ids(ada, "assignee=none") == [nobody["id"]]
    assert await ids(ada, "due=none&assignee=me") == [mine["id"]]
    bug = await create_label(http, ada, board["id"], "Bug", "red")
    await ok(http, ada, "PATCH", f"api/tasks/{nobody['id']}", json_body={"labelIds": [bug["id"]]})
    assert await ids(bob, f"labelIds={bug['id']}") == [nobody["id"]]
    assert await ids(bob, f"labelIds={bug['id']}&q={word}") == []
    (await call(http, ada, "GET", f"{path}?due=later")).assert_problem(422)
    (await call(http, ada, "GET", f"{path}?color=red")).assert_problem(422)
    (await call(http, ada, "GET", f"{path}?q=x&limit=5")).assert_problem(422)
    stranger = await register(http, "Eve")
    (await call(http, stranger, "GET", f"{path}?q={word}")).assert_problem(404)


async def test_comments_are_found_and_archived_tasks_only_when_asked(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Notes")
    column = await create_list(http, ada, board["id"], "Inbox")
    task = await create_task(http, ada, board["id"], column["id"], "Call the printer")
    word = _word("toner")
    comment = await ok(
        http,
        ada,
        "POST",
        f"api/tasks/{task['id']}/comments",
        201,
        json_body={"text": f"They are out of {word}, @[Ada]({ada.id})"},
    )
    hit = (await _hits(http, ada, word, 1))[0]
    assert hit["kind"] == "comment"
    assert hit["commentId"] == comment["id"]
    assert hit["taskId"] == task["id"]
    assert (hit["boardTitle"], hit["listTitle"]) == ("Notes", "Inbox")
    assert hit["snippet"] == f"They are out of {word}, @Ada"

    await ok(http, ada, "POST", f"api/tasks/{task['id']}/archive")
    assert await _hits(http, ada, word, 0) == []

    async def archived() -> list[Any] | None:
        items = (await _search(http, ada, q=word, archived="true"))["items"]
        return items or None

    found = await wait_for(archived, within=15.0, what="the archived card's comment")
    assert [h["taskId"] for h in found] == [task["id"]]
