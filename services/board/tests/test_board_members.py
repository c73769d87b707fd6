"""Members over HTTP: add by id or e-mail (users known only from ``user.registered``), change
roles, remove and leave; the owner is fixed; only the owner manages members; events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_shared.people import color
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


def new_user() -> str:
    return uuid.uuid4().hex


def members_of(board_body: dict[str, Any]) -> dict[str, str]:
    return {m["userId"]: m["role"] for m in board_body["members"]}


async def test_user_registered_event_lets_the_owner_add_them_by_email(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    user_id, email = await board.register("Ada")
    response = await board.client.post(
        f"/api/boards/{created['id']}/members",
        json={"email": email.upper()},  # e-mails match case-insensitively
        headers=board.auth(owner),
    )
    assert response.status == 201, await response.text()
    added = await response.json()
    assert added == {
        "userId": user_id,
        "role": "editor",
        "name": "Ada",
        "email": email.lower(),
        "initials": "AD",
        "color": color(user_id),
    }
    fetched = await board.get_board(created["id"], owner)
    assert [(m["userId"], m["role"]) for m in fetched["members"]] == [
        (owner, "owner"),
        (user_id, "editor"),
    ]
    assert fetched["members"][1] == added
    assert fetched["version"] == 2
    # The new member sees the board in their list now.
    listed = await board.client.get("/api/boards", headers=board.auth(user_id))
    assert [item["id"] for item in (await listed.json())["items"]] == [created["id"]]


async def test_replayed_user_registered_event_is_harmless(board: Any) -> None:
    from hintro_shared.events.catalogue import UserRegistered
    from hintro_shared.events.envelope import new_event

    user_id, email = await board.register("Twice")
    event = new_event(
        "user.registered",
        source="hintro/auth",
        data=UserRegistered(user_id=user_id, email=email.lower(), name="Twice"),
    )
    await board.publish(event)
    await board.publish(event)
    marker, _ = await board.register("Marker")  # consumed after the replays (one queue)
    assert marker
    assert await board.db["users"].count_documents({"_id": user_id}) == 1


async def test_add_member_by_user_id_with_role(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    user_id, _ = await board.register()
    response = await board.client.post(
        f"/api/boards/{created['id']}/members",
        json={"userId": user_id, "role": "viewer"},
        headers=board.auth(owner),
    )
    assert response.status == 201
    assert members_of({"members": [await response.json()]}) == {user_id: "viewer"}


@pytest.mark.parametrize("field", ["userId", "email"])
async def test_unknown_user_is_404(board: Any, field: str) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    value = new_user() if field == "userId" else "nobody@example.com"
    response = await board.client.post(
        f"/api/boards/{created['id']}/members", json={field: value}, headers=board.auth(owner)
    )
    assert response.status == 404
    assert members_of(await board.get_board(created["id"], owner)) == {owner: "owner"}


async def test_adding_an_existing_member_is_409(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    user_id, email = await board.register()
    await board.add_member(created["id"], owner, user_id, "viewer")
    for body in ({"userId": user_id}, {"email": email}, {"userId": owner}):
        response = await board.client.post(
            f"/api/boards/{created['id']}/members", json=body, headers=board.auth(owner)
        )
        assert response.status == 409, body
    fetched = await board.get_board(created["id"], owner)
    assert members_of(fetched) == {owner: "owner", user_id: "viewer"}
    assert fetched["version"] == 2


async def test_concurrent_adds_of_the_same_user_make_one_member(board: Any) -> None:
    import asyncio

    owner = new_user()
    created = await board.create_board(owner)
    user_id, _ = await board.register()
    responses = await asyncio.gather(
        *(
            board.client.post(
                f"/api/boards/{created['id']}/members",
                json={"userId": user_id},
                headers=board.auth(owner),
            )
            for _ in range(5)
        )
    )
    assert sorted(r.status for r in responses) == [201, 409, 409, 409, 409]
    fetched = await board.get_board(created["id"], owner)
    assert [m["userId"] for m in fetched["members"]] == [owner, user_id]
    doc = await board.db["boards"].find_one({"_id": created["id"]})
    assert doc["memberIds"] == [owner, user_id]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"userId": "u", "email": "a@b.c"},
        {"userId": "u", "role": "owner"},
        {"userId": "u", "role": "admin"},
        {"email": "not-an-email"},
        {"userId": "u", "extra": 1},
    ],
)
async def test_invalid_member_body_is_422_and_changes_nothing(
    board: Any, body: dict[str, Any]
) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    response = await board.client.post(
        f"/api/boards/{created['id']}/members", json=body, headers=board.auth(owner)
    )
    assert response.status == 422
    assert (await board.get_board(created["id"], owner))["version"] == 1


async def test_owner_changes_a_members_role(board: Any) -> None:
    owner, member = new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, member, "editor")
    path = f"/api/boards/{created['id']}/members/{member}"
    response = await board.client.patch(path, json={"role": "viewer"}, headers=board.auth(owner))
    assert response.status == 200
    assert members_of({"members": [await response.json()]}) == {member: "viewer"}
    assert members_of(await board.get_board(created["id"], owner))[member] == "viewer"
    # The viewer can no longer edit.
    denied = await board.client.patch(
        f"/api/boards/{created['id']}", json={"title": "x"}, headers=board.auth(member)
    )
    assert denied.status == 403


async def test_role_change_errors(board: Any) -> None:
    owner, editor = new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, editor, "editor")
    base = f"/api/boards/{created['id']}/members"
    cases = [
        (owner, f"{base}/{owner}", {"role": "viewer"}, 409),  # the owner's role is fixed
        (owner, f"{base}/{new_user()}", {"role": "viewer"}, 404),  # not a member
        (owner, f"{base}/{editor}", {"role": "owner"}, 422),  # ownership is not granted
        (owner, f"{base}/{editor}", {}, 422),
        (editor, f"{base}/{editor}", {"role": "viewer"}, 403),  # only the owner manages
        (new_user(), f"{base}/{editor}", {"role": "viewer"}, 404),  # strangers learn nothing
    ]
    for caller, path, body, status in cases:
        response = await board.client.patch(path, json=body, headers=board.auth(caller))
        assert response.status == status, (path, body)
    assert members_of(await board.get_board(created["id"], owner)) == {
        owner: "owner",
        editor: "editor",
    }


async def test_owner_removes_a_member_and_the_owner_cannot_be_removed(board: Any) -> None:
    owner, editor, viewer = new_user(), new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, editor, "editor")
    await board.add_member(created["id"], owner, viewer, "viewer")
    base = f"/api/boards/{created['id']}/members"
    assert (await board.client.delete(f"{base}/{owner}", headers=board.auth(owner))).status == 409
    assert (await board.client.delete(f"{base}/{owner}", headers=board.auth(editor))).status == 403
    assert (await board.client.delete(f"{base}/{viewer}", headers=board.auth(editor))).status == 403
    assert (await board.client.delete(f"{base}/{viewer}", headers=board.auth(owner))).status == 204
    assert (await board.client.delete(f"{base}/{viewer}", headers=board.auth(owner))).status == 404
    assert members_of(await board.get_board(created["id"], owner)) == {
        owner: "owner",
        editor: "editor",
    }
    # The removed member lost access at once.
    gone = await board.client.get(f"/api/boards/{created['id']}", headers=board.auth(viewer))
    assert gone.status == 404
    doc = await board.db["boards"].find_one({"_id": created["id"]})
    assert doc["memberIds"] == [owner, editor]


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_a_member_can_leave(board: Any, role: str) -> None:
    owner, member = new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, member, role)
    response = await board.client.delete(
        f"/api/boards/{created['id']}/members/{member}", headers=board.auth(member)
    )
    assert response.status == 204
    assert members_of(await board.get_board(created["id"], owner)) == {owner: "owner"}
    listed = await board.client.get("/api/boards", headers=board.auth(member))
    assert (await listed.json())["items"] == []


async def test_owner_cannot_leave(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    response = await board.client.delete(
        f"/api/boards/{created['id']}/members/{owner}", headers=board.auth(owner)
    )
    assert response.status == 409
    assert response.content_type == "application/problem+json"


async def test_stranger_gets_404_on_every_member_route(board: Any) -> None:
    owner, member, stranger = new_user(), new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, member, "editor")
    base = f"/api/boards/{created['id']}/members"
    headers = board.auth(stranger)
    assert (await board.client.post(base, json={"userId": member}, headers=headers)).status == 404
    assert (
        await board.client.patch(f"{base}/{member}", json={"role": "viewer"}, headers=headers)
    ).status == 404
    assert (await board.client.delete(f"{base}/{member}", headers=headers)).status == 404
    assert (await board.client.delete(f"{base}/{stranger}", headers=headers)).status == 404


async def test_member_changes_publish_their_events(board: Any) -> None:
    owner, member = new_user(), new_user()
    created = await board.create_board(owner)
    await board.register(user_id=member)
    async with board.probe(
        "board.member_added", "board.member_role_changed", "board.member_removed"
    ) as probe:
        base = f"/api/boards/{created['id']}/members"
        headers = board.auth(owner, **{"X-Socket-Id": "abc"})
        await board.client.post(base, json={"userId": member}, headers=headers)
        await board.client.patch(f"{base}/{member}", json={"role": "viewer"}, headers=headers)
        await board.client.delete(f"{base}/{member}", headers=headers)
        got: list[Any] = []

        async def three() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 3

        await wait_for(three)
    assert [(e.type, e.data) for e in got] == [
        (
            "board.member_added",
            {"boardId": created["id"], "userId": member, "role": "editor", "version": 2},
        ),
        (
            "board.member_role_changed",
            {
                "boardId": created["id"],
                "userId": member,
                "role": "viewer",
                "previousRole": "editor",
                "version": 3,
            },
        ),
        (
            "board.member_removed",
            {"boardId": created["id"], "userId": member, "role": "viewer", "version": 4},
        ),
    ]
    assert all(e.actor_id == owner and e.origin_socket_id == "abc" for e in got)
    assert all(e.board_id == created["id"] for e in got)
