"""Lists over HTTP: order by server-computed positions from anchors, rename and move (a move
rewrites only the moved list), concurrent moves to the same place, delete, errors, events."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from hintro_board.schemas import ListOut
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


def new_user() -> str:
    return uuid.uuid4().hex


async def titles(board: Any, board_id: str, user: str) -> list[str]:
    response = await board.client.get(f"/api/boards/{board_id}/lists", headers=board.auth(user))
    assert response.status == 200
    lists = await response.json()
    positions = [item["position"] for item in lists]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    return [item["title"] for item in lists]


async def test_lists_are_appended_and_placed_by_anchors(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    c = await board.create_list(b, owner, "C")
    await board.create_list(b, owner, "B", afterId=a["id"])
    await board.create_list(b, owner, "Start", beforeId=a["id"])
    await board.create_list(b, owner, "B2", afterId=a["id"], beforeId=c["id"])
    await board.create_list(b, owner, "End")
    assert await titles(board, b, owner) == ["Start", "A", "B2", "B", "C", "End"]
    assert set(a) == {
        "id", "boardId", "title", "position", "createdAt", "updatedAt", "version", "archivedAt"
    }  # fmt: skip
    assert a["boardId"] == b
    assert a["version"] == 1
    ListOut.model_validate(a)
    fetched = await board.get_board(b, owner)
    assert [item["title"] for item in fetched["lists"]] == ["Start", "A", "B2", "B", "C", "End"]


async def test_move_rewrites_only_the_moved_list(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    lists = [await board.create_list(b, owner, t) for t in "ABCD"]
    before = {d["_id"]: d["position"] async for d in board.db["lists"].find({"boardId": b})}
    response = await board.client.patch(
        f"/api/lists/{lists[3]['id']}", json={"afterId": lists[0]["id"]}, headers=board.auth(owner)
    )
    assert response.status == 200
    moved = await response.json()
    assert moved["version"] == 2
    assert moved["title"] == "D"
    assert lists[0]["position"] < moved["position"] < lists[1]["position"]
    after = {d["_id"]: d["position"] async for d in board.db["lists"].find({"boardId": b})}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {lists[3]["id"]}
    assert await titles(board, b, owner) == ["A", "D", "B", "C"]
    # Move to the front and to the end; rename alone keeps the position.
    await board.client.patch(
        f"/api/lists/{lists[2]['id']}", json={"beforeId": lists[0]["id"]}, headers=board.auth(owner)
    )
    await board.client.patch(
        f"/api/lists/{lists[0]['id']}", json={"afterId": lists[1]["id"]}, headers=board.auth(owner)
    )
    assert await titles(board, b, owner) == ["C", "D", "B", "A"]
    renamed = await board.client.patch(
        f"/api/lists/{lists[1]['id']}", json={"title": "Bee"}, headers=board.auth(owner)
    )
    body = await renamed.json()
    assert body["position"] == lists[1]["position"]
    assert body["title"] == "Bee"
    assert await titles(board, b, owner) == ["C", "D", "Bee", "A"]


async def test_concurrent_moves_to_the_same_anchor_end_distinct_and_ordered(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    first = await board.create_list(b, owner, "first")
    last = await board.create_list(b, owner, "last")
    movers = [await board.create_list(b, owner, f"m{i}") for i in range(8)]
    for _ in range(3):
        responses = await asyncio.gather(
            *(
                board.client.patch(
                    f"/api/lists/{m['id']}",
                    json={"afterId": first["id"], "beforeId": last["id"]},
                    headers=board.auth(owner),
                )
                for m in movers
            )
        )
        assert [r.status for r in responses] == [200] * len(movers)
        order = await titles(board, b, owner)  # asserts distinct, sorted positions
        assert order[0] == "first"
        assert order[-1] == "last"
        assert sorted(order[1:-1]) == sorted(m["title"] for m in movers)


async def test_concurrent_appends_all_land(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    responses = await asyncio.gather(
        *(
            board.client.post(
                f"/api/boards/{b}/lists", json={"title": f"L{i}"}, headers=board.auth(owner)
            )
            for i in range(10)
        )
    )
    assert [r.status for r in responses] == [201] * 10
    assert sorted(await titles(board, b, owner)) == sorted(f"L{i}" for i in range(10))


async def test_bad_anchors_are_422_and_change_nothing(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    other = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    c = await board.create_list(b, owner, "C")
    foreign = await board.create_list(other, owner, "F")
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"/api/boards/{b}/lists", {"title": "X", "afterId": "missing"}),
        ("POST", f"/api/boards/{b}/lists", {"title": "X", "beforeId": foreign["id"]}),
        ("POST", f"/api/boards/{b}/lists", {"title": "X", "afterId": c["id"], "beforeId": a["id"]}),
        ("PATCH", f"/api/lists/{a['id']}", {"afterId": a["id"]}),
        ("PATCH", f"/api/lists/{a['id']}", {"beforeId": a["id"]}),
        ("PATCH", f"/api/lists/{a['id']}", {"afterId": foreign["id"]}),
        ("PATCH", f"/api/lists/{a['id']}", {"title": "renamed", "afterId": "missing"}),
    ]
    for method, path, body in cases:
        response = await board.client.request(method, path, json=body, headers=board.auth(owner))
        assert response.status == 422, (path, body)
        problem = await response.json()
        assert problem["errors"][0]["loc"][0] == "body"
    assert await titles(board, b, owner) == ["A", "C"]


@pytest.mark.parametrize(
    "body", [{}, {"title": ""}, {"title": "x" * 201}, {"title": None}, {"position": "a0"}]
)
async def test_invalid_list_bodies_are_422(board: Any, body: dict[str, Any]) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    patch = await board.client.patch(f"/api/lists/{a['id']}", json=body, headers=board.auth(owner))
    assert patch.status == 422
    create = await board.client.post(f"/api/boards/{b}/lists", json=body, headers=board.auth(owner))
    assert create.status == 422
    assert await titles(board, b, owner) == ["A"]


async def test_list_if_match_stale_is_412(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    path = f"/api/lists/{a['id']}"
    ok = await board.client.patch(
        path, json={"title": "A1"}, headers=board.auth(owner, **{"If-Match": '"1"'})
    )
    assert ok.status == 200
    assert ok.headers["ETag"] == '"2"'
    stale = await board.client.patch(
        path, json={"title": "A2"}, headers=board.auth(owner, **{"If-Match": '"1"'})
    )
    assert stale.status == 412
    assert await titles(board, b, owner) == ["A1"]


async def test_deleted_list_is_gone_and_its_place_reusable(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    await board.archive(f"/api/lists/{a['id']}", owner)
    response = await board.client.delete(f"/api/lists/{a['id']}", headers=board.auth(owner))
    assert response.status == 204
    assert await titles(board, b, owner) == []
    again = await board.client.delete(f"/api/lists/{a['id']}", headers=board.auth(owner))
    assert again.status == 404
    moved = await board.client.patch(
        f"/api/lists/{a['id']}", json={"title": "x"}, headers=board.auth(owner)
    )
    assert moved.status == 404
    await board.create_list(b, owner, "B")
    assert await titles(board, b, owner) == ["B"]


ROLES = ("owner", "editor", "viewer", "stranger")
LIST_MATRIX: dict[str, dict[str, int]] = {
    "patch": {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404},
    "delete": {"owner": 204, "editor": 204, "viewer": 403, "stranger": 404},
    "archive": {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404},
    "restore": {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404},
}
_LIST_REQUESTS: dict[str, tuple[str, str, Any]] = {
    "patch": ("PATCH", "", {"title": "B"}),
    "delete": ("DELETE", "", None),
    "archive": ("POST", "/archive", None),
    "restore": ("POST", "/restore", None),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(LIST_MATRIX))
async def test_role_matrix_of_list_routes(board: Any, route: str, role: str) -> None:
    users = {r: new_user() for r in ROLES}
    b = (await board.create_board(users["owner"]))["id"]
    await board.add_member(b, users["owner"], users["editor"], "editor")
    await board.add_member(b, users["owner"], users["viewer"], "viewer")
    a = await board.create_list(b, users["owner"], "A")
    # Only an archived list can be deleted or restored: archive it first for those two.
    archived = route in ("delete", "restore")
    if archived:
        await board.archive(f"/api/lists/{a['id']}", users["owner"])
    method, suffix, body = _LIST_REQUESTS[route]
    response = await board.client.request(
        method, f"/api/lists/{a['id']}{suffix}", json=body, headers=board.auth(users[role])
    )
    assert response.status == LIST_MATRIX[route][role]
    if response.status >= 400:
        assert await titles(board, b, users["owner"]) == ([] if archived else ["A"])
        archived_lists = await board.client.get(
            f"/api/boards/{b}/lists?archived=true", headers=board.auth(users["owner"])
        )
        assert len(await archived_lists.json()) == archived


async def test_list_changes_publish_their_events(board: Any) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    async with board.probe("list.*") as probe:
        headers = board.auth(owner, **{"X-Socket-Id": "s1"})
        first = await board.create_list(b, owner, "First")
        created = await board.client.post(
            f"/api/boards/{b}/lists", json={"title": "Second"}, headers=headers
        )
        second = await created.json()
        await board.client.patch(
            f"/api/lists/{second['id']}",
            json={"title": "2nd", "beforeId": first["id"]},
            headers=headers,
        )
        await board.client.post(f"/api/lists/{first['id']}/archive", headers=headers)
        await board.client.post(f"/api/lists/{first['id']}/restore", headers=headers)
        await board.client.post(f"/api/lists/{first['id']}/archive", headers=headers)
        await board.client.delete(f"/api/lists/{first['id']}", headers=headers)
        got: list[Any] = []

        async def seven() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 7

        await wait_for(seven)
    got.sort(key=lambda e: e.time)
    assert [e.type for e in got] == [
        "list.created",
        "list.created",
        "list.updated",
        "list.archived",
        "list.restored",
        "list.archived",
        "list.deleted",
    ]
    assert all(e.board_id == b and e.actor_id == owner for e in got)
    assert got[1].origin_socket_id == "s1"
    assert got[0].origin_socket_id is None
    assert got[1].data == {
        "listId": second["id"],
        "boardId": b,
        "title": "Second",
        "position": second["position"],
        "createdAt": got[1].data["createdAt"],
        "version": 1,
    }
    updated = got[2].data
    assert updated["listId"] == second["id"]
    assert updated["version"] == 2
    assert updated["title"] == "2nd"
    assert updated["position"] < first["position"]
    assert got[3].data == {
        "listId": first["id"],
        "boardId": b,
        "version": 2,
        "title": "First",
        "archivedAt": got[3].data["archivedAt"],
    }
    assert got[4].data == {
        "listId": first["id"],
        "boardId": b,
        "version": 3,
        "title": "First",
        "position": first["position"],
        "createdAt": got[4].data["createdAt"],
    }
    assert got[6].data == {"listId": first["id"], "boardId": b, "version": 5, "title": "First"}


async def test_an_archived_list_leaves_the_board_keeps_its_place_and_comes_back(
    board: Any,
) -> None:
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    a = await board.create_list(b, owner, "A")
    middle = await board.create_list(b, owner, "B")
    await board.create_list(b, owner, "C")
    path = f"/api/lists/{middle['id']}"
    refused = await board.client.delete(path, headers=board.auth(owner))
    assert refused.status == 409
    assert "archive" in (await refused.json())["detail"]
    archived = await board.archive(path, owner)
    assert archived["archivedAt"] is not None
    assert await titles(board, b, owner) == ["A", "C"]
    listed = await board.client.get(f"/api/boards/{b}/lists", headers=board.auth(owner))
    assert [item["title"] for item in await listed.json()] == ["A", "C"]
    hidden = await board.client.get(
        f"/api/boards/{b}/lists?archived=true", headers=board.auth(owner)
    )
    assert [item["id"] for item in await hidden.json()] == [middle["id"]]
    # An archived list is no anchor, cannot be renamed, and archiving it again changes nothing.
    anchored = await board.client.post(
        f"/api/boards/{b}/lists",
        json={"title": "X", "afterId": middle["id"]},
        headers=board.auth(owner),
    )
    assert anchored.status == 422
    renamed = await board.client.patch(path, json={"title": "B2"}, headers=board.auth(owner))
    assert renamed.status == 409
    assert (await board.archive(path, owner))["version"] == archived["version"]
    # Lists placed meanwhile never take its place: it comes back exactly where it was.
    await board.create_list(b, owner, "A2", afterId=a["id"])
    restored = await board.client.post(f"{path}/restore", headers=board.auth(owner))
    assert restored.status == 200
    body = await restored.json()
    assert body["archivedAt"] is None
    assert body["position"] == middle["position"]
    assert await titles(board, b, owner) in (["A", "A2", "B", "C"], ["A", "B", "A2", "C"])


async def test_position_collisions_are_retried_until_distinct(
    board: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without jitter every concurrent mover computes the same key: the unique index refuses
    all but one and the others recompute from fresh neighbours."""
    from hintro_board import lists as list_use_cases
    from hintro_shared.ordering import key_between

    computed: list[str] = []

    def deterministic(lower: str | None, upper: str | None) -> str:
        computed.append(key_between(lower, upper))
        return computed[-1]

    monkeypatch.setattr(list_use_cases, "position_between", deterministic)
    owner = new_user()
    b = (await board.create_board(owner))["id"]
    first = await board.create_list(b, owner, "first")
    await board.create_list(b, owner, "last")
    movers = [await board.create_list(b, owner, f"m{i}") for i in range(4)]
    responses = await asyncio.gather(
        *(
            board.client.patch(
                f"/api/lists/{m['id']}", json={"afterId": first["id"]}, headers=board.auth(owner)
            )
            for m in movers
        )
    )
    assert [r.status for r in responses] == [200] * len(movers)
    order = await titles(board, b, owner)
    assert order[0] == "first"
    assert order[-1] == "last"
    assert sorted(order[1:-1]) == ["m0", "m1", "m2", "m3"]
    assert len(set(computed)) < len(computed)  # collisions did happen and were retried
