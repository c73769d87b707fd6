"""People end to end, through the gateway: members with names, public profiles of co-members,
renaming (boards and new activity follow, written activity keeps the old name), password
changes that end the other sessions, ownership transfer, leaving, and departed members taken
off the board's tasks."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from hintro_devtools.stack import Stack
from hintro_shared.people import color
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    PASSWORD,
    User,
    add_member,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)


def _member(user: User, role: str, initials: str) -> dict[str, str]:
    return {
        "userId": user.id,
        "role": role,
        "name": user.name,
        "email": user.email,
        "initials": initials,
        "color": color(user.id),
    }


async def _board_once_named(http: aiohttp.ClientSession, user: User, board_id: str) -> Any:
    """The board as soon as every member shows a name (the board service learns names from
    ``user.registered``, a moment after registration)."""

    async def named() -> Any:
        body = await ok(http, user, "GET", f"api/boards/{board_id}")
        return body if all(member["name"] for member in body["members"]) else None

    return await wait_for(named, within=10.0, what="members' names on the board")


async def _activity(http: aiohttp.ClientSession, user: User, board_id: str) -> list[Any]:
    page = await ok(http, user, "GET", f"api/boards/{board_id}/activity?limit=100")
    items: list[Any] = page["items"]
    return items


async def test_members_carry_names_and_profiles_show_co_members_only(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "bob")
    eve = await register(http, "Eve Outsider")
    board = await create_board(http, ada, "People")
    await add_member(http, ada, board["id"], bob, "viewer")
    expected = [_member(ada, "owner", "AL"), _member(bob, "viewer", "BO")]
    assert (await _board_once_named(http, ada, board["id"]))["members"] == expected
    listed = await ok(http, bob, "GET", "api/boards")
    assert [b["members"] for b in listed["items"] if b["id"] == board["id"]] == [expected]
    renamed = await ok(
        http, ada, "PATCH", f"api/boards/{board['id']}", json_body={"title": "People!"}
    )
    assert renamed["members"] == expected

    ids = ",".join([bob.id, eve.id, uuid.uuid4().hex, ada.id])
    profiles = await ok(http, ada, "GET", f"api/users?ids={ids}")
    assert profiles == {
        "items": [
            {"id": bob.id, "name": "bob", "initials": "BO", "color": color(bob.id)},
            {"id": ada.id, "name": "Ada Lovelace", "initials": "AL", "color": color(ada.id)},
        ]
    }
    alone = await ok(http, eve, "GET", f"api/users?ids={ada.id},{eve.id}")
    assert [item["id"] for item in alone["items"]] == [eve.id]

    found = await ok(http, eve, "GET", f"api/users?email={bob.email.upper()}")
    assert found == {"id": bob.id, "email": bob.email, "name": "bob"}
    (await call(http, eve, "GET", "api/users?email=nobody@hintro.dev")).assert_problem(404)
    too_many = ",".join(uuid.uuid4().hex for _ in range(101))
    for query in ("", f"?ids={ada.id}&email={ada.email}", f"?ids={too_many}", "?ids=a$b"):
        (await call(http, ada, "GET", f"api/users{query}")).assert_problem(422)


async def test_a_rename_reaches_boards_and_new_activity_only(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada")
    board = await create_board(http, ada, "Names")
    await _board_once_named(http, ada, board["id"])

    async def first_entry_named() -> bool:
        items = await _activity(http, ada, board["id"])
        return [item["summary"] for item in items] == ["Ada created the board “Names”"]

    await wait_for(first_entry_named, within=10.0, what="the board's first entry, named")

    me = await ok(http, ada, "PATCH", "api/auth/me", json_body={"name": "Ada King"})
    assert me["name"] == "Ada King"
    assert (await ok(http, ada, "GET", "api/auth/me"))["name"] == "Ada King"

    async def board_renamed() -> bool:
        member = (await ok(http, ada, "GET", f"api/boards/{board['id']}"))["members"][0]
        return bool(member["name"] == "Ada King" and member["initials"] == "AK")

    await wait_for(board_renamed, within=10.0, what="the new name on the (cached) board")
    profile = await ok(http, ada, "GET", f"api/users?ids={ada.id}")
    assert profile["items"][0]["name"] == "Ada King"

    # Activity learns the name from the same event; a list created once it has, reads so.
    async def activity_renamed() -> bool:
        await create_list(http, ada, board["id"], "Probe")
        items = await _activity(http, ada, board["id"])
        return bool(items[0]["summary"] == "Ada King created the list “Probe”")

    await wait_for(activity_renamed, within=10.0, what="new activity under the new name")
    items = await _activity(http, ada, board["id"])
    assert items[-1]["summary"] == "Ada created the board “Names”"
    assert items[-1]["actor"] == {"id": ada.id, "name": "Ada"}


async def test_a_password_change_ends_the_other_sessions(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    email = f"e2e-people-{uuid.uuid4().hex[:12]}@hintro.dev"
    credentials = {"email": email, "password": PASSWORD}
    await ok(http, None, "POST", "api/auth/register", 201, json_body={**credentials, "name": "P"})
    mine = await ok(http, None, "POST", "api/auth/login", json_body=credentials)
    other = await ok(http, None, "POST", "api/auth/login", json_body=credentials)
    me = User("", email, "P", mine["accessToken"])
    wrong = {"currentPassword": "not the password", "newPassword": "a brand new one"}
    (await call(http, me, "PATCH", "api/auth/me", json_body=wrong)).assert_problem(403)
    change = {"currentPassword": PASSWORD, "newPassword": "a brand new one"}
    await ok(http, me, "PATCH", "api/auth/me", json_body=change)

    kept = await call(
        http, None, "POST", "api/auth/refresh", json_body={"refreshToken": mine["refreshToken"]}
    )
    assert kept.status == 200, kept.text
    ended = await call(
        http, None, "POST", "api/auth/refresh", json_body={"refreshToken": other["refreshToken"]}
    )
    ended.assert_problem(401)
    (await call(http, None, "POST", "api/auth/login", json_body=credentials)).assert_problem(401)
    renewed = {**credentials, "password": "a brand new one"}
    await ok(http, None, "POST", "api/auth/login", json_body=renewed)


async def test_ownership_transfer_and_leaving(stack: Stack, http: aiohttp.ClientSession) -> None:
    ada, bob, cy = [await register(http, name) for name in ("Ada", "Bob", "Cy")]
    board = await create_board(http, ada, "Handover")
    await add_member(http, ada, board["id"], bob, "editor")
    await add_member(http, ada, board["id"], cy, "viewer")
    path = f"api/boards/{board['id']}"

    refused = await call(http, ada, "DELETE", f"{path}/members/{ada.id}")
    assert "transfer ownership" in refused.assert_problem(409)["detail"]
    body = {"userId": bob.id}
    (await call(http, cy, "POST", f"{path}/transfer", json_body=body)).assert_problem(403)
    (await call(http, bob, "POST", f"{path}/transfer", json_body=body)).assert_problem(403)
    outsider = await register(http, "Out")
    (await call(http, outsider, "POST", f"{path}/transfer", json_body=body)).assert_problem(404)
    bad = await call(http, ada, "POST", f"{path}/transfer", json_body={"userId": outsider.id})
    bad.assert_problem(422)

    moved = await ok(http, ada, "POST", f"{path}/transfer", json_body=body)
    assert moved["ownerId"] == bob.id
    roles = {m["userId"]: m["role"] for m in moved["members"]}
    assert roles == {bob.id: "owner", ada.id: "editor", cy.id: "viewer"}
    assert moved["version"] == board["version"] + 4  # two adds, then the transfer's two

    await ok(http, ada, "DELETE", f"{path}/members/{ada.id}", 204)
    (await call(http, ada, "GET", path)).assert_problem(404)
    after = await ok(http, bob, "GET", path)
    assert {m["userId"]: m["role"] for m in after["members"]} == {bob.id: "owner", cy.id: "viewer"}

    async def told() -> bool:
        summaries = [item["summary"] for item in await _activity(http, bob, board["id"])]
        # Events handled concurrently may take their seqs in either order.
        return set(summaries[:3]) == {
            "Ada left the board",
            "Ada changed their role from owner to editor",
            "Ada made Bob the owner",
        }

    await wait_for(told, within=10.0, what="the handover in the activity log")


async def test_removed_and_departed_members_are_unassigned(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob, cy = [await register(http, name) for name in ("Ada", "Bob", "Cy")]
    board = await create_board(http, ada, "Assignments")
    other = await create_board(http, ada, "Elsewhere")
    for member in (bob, cy):
        await add_member(http, ada, board["id"], member, "editor")
    await add_member(http, ada, other["id"], bob, "editor")
    todo = await create_list(http, ada, board["id"], "To do")
    pair = [bob.id, cy.id]
    both = await create_task(http, ada, board["id"], todo["id"], "Both", assigneeIds=pair)
    only = await create_task(http, ada, board["id"], todo["id"], "Bob's", assigneeIds=[bob.id])
    there = await create_list(http, ada, other["id"], "There")
    kept = await create_task(http, ada, other["id"], there["id"], "Kept", assigneeIds=[bob.id])

    await ok(http, ada, "DELETE", f"api/boards/{board['id']}/members/{bob.id}", 204)  # removed
    await ok(http, cy, "DELETE", f"api/boards/{board['id']}/members/{cy.id}", 204)  # left

    async def assignees() -> dict[str, list[str]] | None:
        found = {
            task["id"]: (await ok(http, ada, "GET", f"api/tasks/{task['id']}"))["assigneeIds"]
            for task in (both, only)
        }
        return found if not any(found.values()) else None

    await wait_for(assignees, within=10.0, what="departed members taken off the tasks")
    elsewhere = await ok(http, ada, "GET", f"api/tasks/{kept['id']}")
    assert elsewhere["assigneeIds"] == [bob.id]

    async def logged() -> list[Any] | None:
        items = await _activity(http, ada, board["id"])
        found = [item for item in items if item["type"] == "task.unassigned"]
        return found if len(found) == 3 else None

    entries = await wait_for(logged, within=10.0, what="three task.unassigned entries")
    assert sorted(entry["summary"] for entry in entries) == [
        "Ada unassigned Bob from “Bob's”",
        "Ada unassigned Bob from “Both”",
        "Cy unassigned themselves from “Both”",
    ]
