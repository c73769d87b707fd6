"""Boards over HTTP: create, read, page, update (with If-Match), delete; validation; the role
matrix of every board route; the events each change publishes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_board.schemas import BoardOut, BoardPage, BoardWithListsOut
from hintro_shared.people import color

pytestmark = pytest.mark.integration


def new_user() -> str:
    return uuid.uuid4().hex


async def test_created_board_has_the_caller_as_owner_and_the_contract_shape(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Roadmap", description="Q3 plans")
    assert set(created) == {
        "id", "title", "description", "ownerId", "members", "labels", "createdAt",
        "updatedAt", "version", "archivedAt",
    }  # fmt: skip
    assert created["labels"] == []
    assert created["archivedAt"] is None
    assert created["title"] == "Roadmap"
    assert created["description"] == "Q3 plans"
    assert created["ownerId"] == owner
    # The owner is not in the users projection (no user.registered): no name, a colour still.
    assert created["members"] == [
        {"userId": owner, "role": "owner", "name": "", "email": "", "initials": "",
         "color": color(owner)}
    ]  # fmt: skip
    assert created["version"] == 1
    BoardOut.model_validate(created)


async def test_get_board_returns_board_with_lists_and_etag(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    response = await board.client.get(f"/api/boards/{created['id']}", headers=board.auth(owner))
    assert response.status == 200
    # The version (what If-Match compares) and a digest of the body (lists included).
    assert response.headers["ETag"].startswith('"1.')
    body = await response.json()
    assert body == {**created, "lists": []}
    BoardWithListsOut.model_validate(body)


async def test_board_etag_follows_list_changes_and_answers_304(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    path = f"/api/boards/{created['id']}"
    first = await board.client.get(path, headers=board.auth(owner))
    etag = first.headers["ETag"]
    again = await board.client.get(path, headers=board.auth(owner, **{"If-None-Match": etag}))
    assert (again.status, again.headers["ETag"], await again.read()) == (304, etag, b"")
    made = await board.client.post(
        f"{path}/lists", json={"title": "Todo"}, headers=board.auth(owner)
    )
    assert made.status == 201
    after = await board.client.get(path, headers=board.auth(owner, **{"If-None-Match": etag}))
    assert after.status == 200
    assert after.headers["ETag"] != etag
    assert [item["title"] for item in (await after.json())["lists"]] == ["Todo"]
    # The board's own version did not move; If-Match still takes the new ETag.
    assert after.headers["ETag"].startswith('"1.')
    patched = await board.client.patch(
        path, json={"title": "T"}, headers=board.auth(owner, **{"If-Match": after.headers["ETag"]})
    )
    assert patched.status == 200
    # A non-member learns nothing, not even 304.
    stranger = await board.client.get(
        path, headers=board.auth(new_user(), **{"If-None-Match": after.headers["ETag"]})
    )
    assert stranger.status == 404


async def test_request_without_token_is_401(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    for method, path in [
        ("GET", "/api/boards"),
        ("POST", "/api/boards"),
        ("GET", f"/api/boards/{created['id']}"),
        ("PATCH", f"/api/boards/{created['id']}"),
        ("DELETE", f"/api/boards/{created['id']}"),
    ]:
        response = await board.client.request(method, path, json={"title": "x"})
        assert response.status == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.content_type == "application/problem+json"
    forged = {"Authorization": "Bearer not.a.token"}
    response = await board.client.get("/api/boards", headers=forged)
    assert response.status == 401


async def test_my_boards_are_paged_newest_first_with_a_cursor(board: Any) -> None:
    owner, other = new_user(), new_user()
    mine = [(await board.create_board(owner, f"B{i}"))["id"] for i in range(5)]
    await board.create_board(other, "not mine")
    shared = await board.create_board(other, "shared with me")
    await board.add_member(shared["id"], other, owner, "viewer")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await board.client.get("/api/boards", params=query, headers=board.auth(owner))
        assert response.status == 200
        page = await response.json()
        BoardPage.model_validate(page)
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [shared["id"], *reversed(mine)]
    assert pages == 3


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "%%%"}, {"sort": "title"}],
)
async def test_bad_page_query_is_422(board: Any, query: dict[str, str]) -> None:
    response = await board.client.get("/api/boards", params=query, headers=board.auth(new_user()))
    assert response.status == 422
    assert "errors" in await response.json()


async def test_patch_changes_fields_and_increments_version(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Old")
    path = f"/api/boards/{created['id']}"
    response = await board.client.patch(path, json={"title": "New"}, headers=board.auth(owner))
    assert response.status == 200
    assert response.headers["ETag"] == '"2"'
    patched = await response.json()
    assert (patched["title"], patched["description"], patched["version"]) == ("New", "", 2)
    response = await board.client.patch(path, json={"description": "d"}, headers=board.auth(owner))
    assert (await response.json())["version"] == 3
    fetched = await board.get_board(created["id"], owner)
    assert (fetched["title"], fetched["description"], fetched["version"]) == ("New", "d", 3)
    assert fetched["updatedAt"] >= created["updatedAt"]


async def test_if_match_stale_version_is_412_and_changes_nothing(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Before")
    path = f"/api/boards/{created['id']}"
    ok = await board.client.patch(
        path, json={"title": "First"}, headers=board.auth(owner, **{"If-Match": '"1"'})
    )
    assert ok.status == 200
    stale = await board.client.patch(
        path, json={"title": "Second"}, headers=board.auth(owner, **{"If-Match": '"1"'})
    )
    assert stale.status == 412
    assert stale.content_type == "application/problem+json"
    fetched = await board.get_board(created["id"], owner)
    assert (fetched["title"], fetched["version"]) == ("First", 2)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": None},
        {"description": "x" * 10_001},
        {"title": "ok", "color": "red"},
        {"title": 5},
    ],
)
async def test_invalid_patch_is_422_and_changes_nothing(board: Any, body: dict[str, Any]) -> None:
    owner = new_user()
    created = await board.create_board(owner, "Same")
    response = await board.client.patch(
        f"/api/boards/{created['id']}", json=body, headers=board.auth(owner)
    )
    assert response.status == 422
    problem = await response.json()
    assert problem["status"] == 422
    assert problem["errors"]
    assert await board.get_board(created["id"], owner) == {**created, "lists": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": "x" * 201}, {"title": "ok", "ownerId": "me"}, {"title": ["x"]}],
)
async def test_invalid_create_is_422_and_creates_nothing(board: Any, body: dict[str, Any]) -> None:
    owner = new_user()
    response = await board.client.post("/api/boards", json=body, headers=board.auth(owner))
    assert response.status == 422
    listed = await board.client.get("/api/boards", headers=board.auth(owner))
    assert (await listed.json())["items"] == []


async def test_malformed_json_is_400(board: Any) -> None:
    response = await board.client.post(
        "/api/boards",
        data=b"{nope",
        headers=board.auth(new_user(), **{"Content-Type": "application/json"}),
    )
    assert response.status == 400


async def test_title_and_description_at_their_limits_are_accepted(board: Any) -> None:
    created = await board.create_board(new_user(), "x" * 200, description="d" * 10_000)
    assert len(created["title"]) == 200
    assert len(created["description"]) == 10_000


async def test_unknown_board_is_404(board: Any) -> None:
    response = await board.client.get("/api/boards/nope", headers=board.auth(new_user()))
    assert response.status == 404
    assert response.content_type == "application/problem+json"


async def test_deleted_board_is_gone_for_everyone(board: Any) -> None:
    owner, editor = new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, editor, "editor")
    await board.create_list(created["id"], owner, "Todo")
    path = f"/api/boards/{created['id']}"
    await board.archive(path, owner)
    response = await board.client.delete(path, headers=board.auth(owner))
    assert response.status == 204
    for user in (owner, editor):
        assert (await board.client.get(path, headers=board.auth(user))).status == 404
        listed = await board.client.get("/api/boards", headers=board.auth(user))
        assert created["id"] not in [item["id"] for item in (await listed.json())["items"]]
    assert await board.db["lists"].count_documents({"boardId": created["id"]}) == 0
    assert (await board.client.delete(path, headers=board.auth(owner))).status == 404


# --- role matrix ----------------------------------------------------------------------------

ROLES = ("owner", "editor", "viewer", "stranger")
# Expected status per route and role (non-members 404 everywhere, viewers 403 on writes).
MATRIX: dict[str, dict[str, int]] = {
    "get": {"owner": 200, "editor": 200, "viewer": 200, "stranger": 404},
    "patch": {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404},
    "delete": {"owner": 204, "editor": 403, "viewer": 403, "stranger": 404},
    "archive": {"owner": 200, "editor": 403, "viewer": 403, "stranger": 404},
    "restore": {"owner": 200, "editor": 403, "viewer": 403, "stranger": 404},
    "lists": {"owner": 200, "editor": 200, "viewer": 200, "stranger": 404},
    "create_list": {"owner": 201, "editor": 201, "viewer": 403, "stranger": 404},
    "add_member": {"owner": 201, "editor": 403, "viewer": 403, "stranger": 404},
}


async def _board_with_roles(board: Any) -> tuple[dict[str, Any], dict[str, str]]:
    users = {role: new_user() for role in ROLES}
    created = await board.create_board(users["owner"])
    await board.add_member(created["id"], users["owner"], users["editor"], "editor")
    await board.add_member(created["id"], users["owner"], users["viewer"], "viewer")
    return created, users


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(MATRIX))
async def test_role_matrix_of_board_routes(board: Any, route: str, role: str) -> None:
    created, users = await _board_with_roles(board)
    newcomer, _ = await board.register("Newcomer")
    path = f"/api/boards/{created['id']}"
    headers = board.auth(users[role])
    # Only an archived board can be deleted or restored: archive it first for those two.
    archived = route in ("delete", "restore")
    if archived:
        await board.archive(path, users["owner"])
    requests: dict[str, tuple[str, str, Any]] = {
        "get": ("GET", path, None),
        "patch": ("PATCH", path, {"title": "Renamed"}),
        "delete": ("DELETE", path, None),
        "archive": ("POST", f"{path}/archive", None),
        "restore": ("POST", f"{path}/restore", None),
        "lists": ("GET", f"{path}/lists", None),
        "create_list": ("POST", f"{path}/lists", {"title": "L"}),
        "add_member": ("POST", f"{path}/members", {"userId": newcomer}),
    }
    method, url, body = requests[route]
    response = await board.client.request(method, url, json=body, headers=headers)
    assert response.status == MATRIX[route][role], await response.text()
    if response.status >= 400:
        assert response.content_type == "application/problem+json"
        # A refused write changed nothing.
        after = await board.get_board(created["id"], users["owner"])
        # Only the two member additions (and the archive made before the request).
        assert after["version"] == created["version"] + 2 + archived
        assert after["lists"] == []
        assert (after["archivedAt"] is not None) == archived


# --- events ---------------------------------------------------------------------------------


async def test_board_changes_publish_their_events_with_provenance(board: Any) -> None:
    owner = new_user()
    async with board.probe("board.*") as probe:
        created = await board.create_board(owner, "Evented")
        path = f"/api/boards/{created['id']}"
        await board.client.patch(
            path,
            json={"title": "Renamed"},
            headers=board.auth(owner, **{"X-Socket-Id": "sock-1", "X-Request-Id": "req-42"}),
        )
        await board.archive(path, owner)
        await board.client.delete(path, headers=board.auth(owner))

        got: list[Any] = []

        async def four() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 4

        await board_wait(four)
    by_type = {event.type: event for event in got}
    assert [event.type for event in got] == [
        "board.created",
        "board.updated",
        "board.archived",
        "board.deleted",
    ]
    for event in got:
        assert event.board_id == created["id"]
        assert event.actor_id == owner
        assert event.source == "hintro/board"
    assert by_type["board.created"].data["title"] == "Evented"
    assert by_type["board.created"].data["members"] == [{"userId": owner, "role": "owner"}]
    updated = by_type["board.updated"]
    assert updated.data == {
        "boardId": created["id"],
        "version": 2,
        "title": "Renamed",
        "updatedAt": updated.data["updatedAt"],
    }
    assert updated.origin_socket_id == "sock-1"
    assert updated.correlation_id == "req-42"
    assert by_type["board.archived"].data == {
        "boardId": created["id"],
        "version": 3,
        "title": "Renamed",
        "archivedAt": by_type["board.archived"].data["archivedAt"],
    }
    assert by_type["board.deleted"].data == {
        "boardId": created["id"],
        "version": 4,
        "title": "Renamed",
    }
    # The outbox is drained and the tombstone removed once the event is out.

    async def tombstone_gone() -> bool:
        return await board.db["boards"].find_one({"_id": created["id"]}) is None

    await board_wait(tombstone_gone)


async def test_refused_write_publishes_nothing(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    async with board.probe("board.*") as probe:
        response = await board.client.patch(
            f"/api/boards/{created['id']}", json={"title": ""}, headers=board.auth(owner)
        )
        assert response.status == 422
        ok = await board.client.patch(
            f"/api/boards/{created['id']}", json={"title": "t"}, headers=board.auth(owner)
        )
        assert ok.status == 200
        got: list[Any] = []

        async def one() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 1

        await board_wait(one)
    assert [(e.type, e.data["version"]) for e in got] == [("board.updated", 2)]


async def board_wait(condition: Any) -> None:
    from hintro_testkit.infra import wait_for

    await wait_for(condition, within=10)


async def test_event_of_a_write_whose_flush_never_ran_is_published_by_the_sweeper(
    board: Any,
) -> None:
    """A crash between the write and its fast-path flush loses no event."""
    from hintro_board.domain import Board, Member, now
    from hintro_board.repository import MongoBoards
    from hintro_board.service import Caller, make_event
    from hintro_shared.authz import Role
    from hintro_shared.events import catalogue as ev

    owner, at = new_user(), now()
    orphan = Board(new_user(), "Orphan", "", owner, (Member(owner, Role.OWNER),), at, at, 1)
    data = ev.BoardCreated(
        board_id=orphan.id,
        title="Orphan",
        owner_id=owner,
        members=[ev.Member(user_id=owner, role="owner")],
        created_at=at,
        version=1,
    )
    async with board.probe("board.created") as probe:
        # The write as the service makes it, but no flush afterwards (the process "died").
        event = make_event("board.created", Caller(owner), orphan.id, data)
        await MongoBoards(board.db).insert(orphan, event)
        got: list[Any] = []

        async def published() -> bool:
            got.extend(await probe.envelopes())
            return any(e.id == event.id for e in got)

        await board_wait(published)

    async def drained() -> bool:
        query = {"_id": orphan.id, "outboxPending": 0}
        found: int = await board.db["boards"].count_documents(query)
        return found == 1

    await board_wait(drained)


# --- archive and restore ----------------------------------------------------------------------


async def test_an_archived_board_leaves_the_board_lists_and_comes_back_on_restore(
    board: Any,
) -> None:
    owner, editor = new_user(), new_user()
    created = await board.create_board(owner, "Old project")
    await board.add_member(created["id"], owner, editor, "editor")
    path = f"/api/boards/{created['id']}"

    async def listed(user: str, query: str = "") -> list[str]:
        response = await board.client.get(f"/api/boards{query}", headers=board.auth(user))
        assert response.status == 200, await response.text()
        return [item["id"] for item in (await response.json())["items"]]

    refused = await board.client.delete(path, headers=board.auth(owner))
    assert refused.status == 409
    assert "archive" in (await refused.json())["detail"]
    archived = await board.archive(path, owner)
    assert archived["archivedAt"] is not None
    assert archived["version"] == created["version"] + 2
    for user in (owner, editor):
        assert created["id"] not in await listed(user)
        assert created["id"] in await listed(user, "?archived=true")
        # Still readable by link, with the date it was archived.
        assert (await board.get_board(created["id"], user))["archivedAt"] is not None
    again = await board.archive(path, owner)
    assert again["version"] == archived["version"]  # archiving twice changes nothing
    restored = await board.client.post(f"{path}/restore", headers=board.auth(owner))
    assert restored.status == 200
    assert (await restored.json())["archivedAt"] is None
    for user in (owner, editor):
        assert created["id"] in await listed(user)
        assert created["id"] not in await listed(user, "?archived=true")
    assert (await board.client.delete(path, headers=board.auth(owner))).status == 409
    assert (await board.get_board(created["id"], owner))["archivedAt"] is None
