"""People on boards: members carry names (from user.registered / user.renamed), public
profiles by id for co-members only, the e-mail lookup, ownership transfer and leaving."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_shared.events.catalogue import UserRenamed
from hintro_shared.events.envelope import new_event
from hintro_shared.people import color
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


def roles_of(body: dict[str, Any]) -> dict[str, str]:
    return {m["userId"]: m["role"] for m in body["members"]}


async def test_transfer_makes_the_member_owner_and_the_old_owner_editor(board: Any) -> None:
    owner, _ = await board.register("Olga Owner")
    heir, _ = await board.register("Hans Heir")
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, heir, "viewer")
    path = f"/api/boards/{created['id']}/transfer"
    async with board.probe("board.member_role_changed") as probe:
        response = await board.client.post(path, json={"userId": heir}, headers=board.auth(owner))
        assert response.status == 200, await response.text()
        body = await response.json()
        got: list[Any] = []

        async def two() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 2

        await wait_for(two)
    assert body["ownerId"] == heir
    assert body["version"] == 4  # created 1, member added 2, transfer 3 and 4
    assert roles_of(body) == {heir: "owner", owner: "editor"}
    assert body["members"][0]["name"] == "Hans Heir"
    assert roles_of(await board.get_board(created["id"], heir)) == roles_of(body)
    changes = [(e.data["userId"], e.data["role"], e.data["previousRole"]) for e in got]
    assert changes == [(heir, "owner", "viewer"), (owner, "editor", "owner")]
    assert [e.data["version"] for e in got] == [3, 4]
    # The old owner is an editor now: no longer allowed to manage members or transfer back.
    again = await board.client.post(path, json={"userId": owner}, headers=board.auth(owner))
    assert again.status == 403
    # ...and may leave, which the new owner may not.
    left = await board.client.delete(
        f"/api/boards/{created['id']}/members/{owner}", headers=board.auth(owner)
    )
    assert left.status == 204
    refused = await board.client.delete(
        f"/api/boards/{created['id']}/members/{heir}", headers=board.auth(heir)
    )
    assert refused.status == 409
    assert "transfer ownership" in (await refused.json())["detail"]


async def test_transfer_refusals(board: Any) -> None:
    owner, editor, stranger = (uuid.uuid4().hex for _ in range(3))
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, editor, "editor")
    path = f"/api/boards/{created['id']}/transfer"
    cases = [
        (owner, {"userId": owner}, 422),  # to oneself
        (owner, {"userId": stranger}, 422),  # not a member
        (owner, {}, 422),
        (owner, {"userId": editor, "extra": 1}, 422),
        (editor, {"userId": editor}, 403),
        (stranger, {"userId": stranger}, 404),
    ]
    for caller, body, status in cases:
        response = await board.client.post(path, json=body, headers=board.auth(caller))
        assert response.status == status, (body, await response.text())
        assert response.content_type == "application/problem+json"
    assert (await board.get_board(created["id"], owner))["version"] == 2


async def test_profiles_by_id_show_co_members_only(board: Any) -> None:
    me, _ = await board.register("Mia Me")
    mate, _ = await board.register("Max Mate")
    stranger, _ = await board.register("Stan Stranger")
    created = await board.create_board(me)
    await board.add_member(created["id"], me, mate, "viewer")
    ids = ",".join([mate, stranger, "unknown-id", me, mate])
    response = await board.client.get(f"/api/users?ids={ids}", headers=board.auth(me))
    assert response.status == 200, await response.text()
    assert (await response.json())["items"] == [
        {"id": mate, "name": "Max Mate", "initials": "MM", "color": color(mate)},
        {"id": me, "name": "Mia Me", "initials": "MM", "color": color(me)},
    ]
    # The stranger sees only themselves.
    response = await board.client.get(
        f"/api/users?ids={me},{stranger}", headers=board.auth(stranger)
    )
    assert [item["id"] for item in (await response.json())["items"]] == [stranger]


async def test_users_query_validation_and_email_lookup(board: Any) -> None:
    me, email = await board.register("Eve")
    headers = board.auth(me)
    found = await board.client.get("/api/users", params={"email": email.upper()}, headers=headers)
    assert await found.json() == {"id": me, "email": email.lower(), "name": "Eve"}
    missing = await board.client.get(
        "/api/users", params={"email": "nobody@example.com"}, headers=headers
    )
    assert missing.status == 404
    too_many = ",".join(uuid.uuid4().hex for _ in range(101))
    for params in (
        {},
        {"ids": me, "email": email},
        {"ids": too_many},
        {"ids": ","},
        {"ids": "a.b"},
        {"email": "not-an-email"},
        {"ids": me, "other": "x"},
    ):
        response = await board.client.get("/api/users", params=params, headers=headers)
        assert response.status == 422, params
        assert response.content_type == "application/problem+json"
    assert (await board.client.get("/api/users", params={"ids": me})).status == 401


async def test_a_rename_reaches_cached_boards_and_an_older_one_does_not(board: Any) -> None:
    me, _ = await board.register("Ada")
    created = await board.create_board(me)
    assert (await board.get_board(created["id"], me))["members"][0]["name"] == "Ada"  # cached
    renamed = new_event(
        "user.renamed", source="hintro/auth", data=UserRenamed(user_id=me, name="Ada Lovelace")
    )
    await board.publish(renamed)

    async def shows_new_name() -> bool:
        member = (await board.get_board(created["id"], me))["members"][0]
        return member["name"] == "Ada Lovelace" and member["initials"] == "AL"

    await wait_for(shows_new_name, what="the cached board to show the new name")
    older = new_event(
        "user.renamed",
        source="hintro/auth",
        data=UserRenamed(user_id=me, name="Stale"),
        time=renamed.time.replace(year=renamed.time.year - 1),
    )
    await board.publish(older)
    marker, _ = await board.register("Marker")  # handled after the stale rename

    async def stale_handled() -> bool:
        return await board.db["users"].find_one({"_id": marker}) is not None

    await wait_for(stale_handled)
    assert (await board.get_board(created["id"], me))["members"][0]["name"] == "Ada Lovelace"
