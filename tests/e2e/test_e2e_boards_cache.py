"""The board read cache, end to end through the gateway: a read right after a write always shows
that write (to the writer and to every other member), even with reads racing the write; a stale
``If-Match`` is 412 and changes nothing."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp

from hintro_devtools.stack import Stack
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

ROUNDS = 25


async def _board(http: aiohttp.ClientSession, user: User, board_id: str) -> tuple[Any, str]:
    reply = await call(http, user, "GET", f"api/boards/{board_id}")
    assert reply.status == 200, reply.text
    body = reply.body
    # "<version>.<digest of the body>": the digest follows list changes too.
    assert reply.headers["ETag"].startswith(f'"{body["version"]}.')
    return body, reply.headers["ETag"]


def _roles(board: dict[str, Any]) -> dict[str, str]:
    return {member["userId"]: member["role"] for member in board["members"]}


async def test_a_read_after_a_write_always_shows_the_write(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    owner, member = users["owner"], users["editor"]
    board = await create_board(http, owner, "Cache")
    board_id = board["id"]
    await add_member(http, owner, board_id, member, "viewer")
    rng = random.Random(7)
    expected_lists: list[tuple[str, str]] = []  # (id, title) in order
    role = "viewer"
    version = (await _board(http, owner, board_id))[0]["version"]

    async def write(kind: str, step: int) -> None:
        nonlocal version, role
        if kind == "title":
            _, tag = await _board(http, owner, board_id)
            updated = await ok(
                http,
                owner,
                "PATCH",
                f"api/boards/{board_id}",
                json_body={"title": f"Title {step}"},
                headers={"If-Match": tag},
            )
            version += 1
            assert updated["version"] == version
        elif kind == "add list":
            created = await create_list(http, owner, board_id, f"List {step}")
            expected_lists.append((created["id"], created["title"]))
        elif kind == "rename list" and expected_lists:
            index = rng.randrange(len(expected_lists))
            list_id = expected_lists[index][0]
            writer = member if role == "editor" else owner
            await ok(
                http,
                writer,
                "PATCH",
                f"api/lists/{list_id}",
                json_body={"title": f"Renamed {step}"},
            )
            expected_lists[index] = (list_id, f"Renamed {step}")
        else:
            role = "editor" if role == "viewer" else "viewer"
            await ok(
                http,
                owner,
                "PATCH",
                f"api/boards/{board_id}/members/{member.id}",
                json_body={"role": role},
            )
            version += 1

    kinds = ("title", "add list", "rename list", "role")
    titles_seen = "Cache"
    for step in range(ROUNDS):
        kind = kinds[step % len(kinds)] if step < len(kinds) else rng.choice(kinds)
        # Warm the cache, then race readers against the write: none of them may leave a stale
        # body behind for the reads that follow it.
        await _board(http, owner, board_id)
        readers = [_board(http, rng.choice((owner, member)), board_id) for _ in range(4)]
        await asyncio.gather(write(kind, step), *readers)
        if kind == "title":
            titles_seen = f"Title {step}"

        for reader in (owner, member, owner):
            body, tag = await _board(http, reader, board_id)
            context = f"step {step} ({kind}) read by {reader.name}"
            assert body["version"] == version, context
            assert tag.startswith(f'"{version}.'), context
            assert body["title"] == titles_seen, context
            assert _roles(body)[member.id] == role, context
            assert [(item["id"], item["title"]) for item in body["lists"]] == expected_lists
        lists = await ok(http, owner, "GET", f"api/boards/{board_id}/lists")
        assert [(item["id"], item["title"]) for item in lists] == expected_lists


async def test_a_stale_if_match_is_412_and_changes_nothing(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board = await create_board(http, owner, "Versions")
    board_id = board["id"]
    todo = await create_list(http, owner, board_id, "To do")
    task = await create_task(http, owner, board_id, todo["id"], "Task")
    _, first_tag = await _board(http, owner, board_id)
    await ok(
        http,
        owner,
        "PATCH",
        f"api/boards/{board_id}",
        json_body={"description": "v2"},
        headers={"If-Match": first_tag},
    )
    current, current_tag = await _board(http, owner, board_id)
    assert current_tag != first_tag

    for tag in (first_tag, '"999"', "W/" + first_tag):
        stale = await call(
            http,
            owner,
            "PATCH",
            f"api/boards/{board_id}",
            json_body={"title": "Lost update"},
            headers={"If-Match": tag},
        )
        stale.assert_problem(412)
        assert await _board(http, owner, board_id) == (current, current_tag)

    renamed = await ok(
        http,
        owner,
        "PATCH",
        f"api/lists/{todo['id']}",
        json_body={"title": "Doing"},
        headers={"If-Match": f'"{todo["version"]}"'},
    )
    stale_list = await call(
        http,
        owner,
        "PATCH",
        f"api/lists/{todo['id']}",
        json_body={"title": "Lost"},
        headers={"If-Match": f'"{todo["version"]}"'},
    )
    stale_list.assert_problem(412)
    lists = await ok(http, owner, "GET", f"api/boards/{board_id}/lists")
    assert [(item["title"], item["version"]) for item in lists] == [("Doing", renamed["version"])]

    edited = await ok(
        http,
        owner,
        "PATCH",
        f"api/tasks/{task['id']}",
        json_body={"title": "Edited"},
        headers={"If-Match": f'"{task["version"]}"'},
    )
    stale_task = await call(
        http,
        owner,
        "PATCH",
        f"api/tasks/{task['id']}",
        json_body={"title": "Lost"},
        headers={"If-Match": f'"{task["version"]}"'},
    )
    stale_task.assert_problem(412)
    reply = await call(http, owner, "GET", f"api/tasks/{task['id']}")
    assert reply.body == edited
    assert reply.headers["ETag"] == f'"{edited["version"]}"'
