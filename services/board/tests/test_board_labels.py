"""A board's labels: create, rename, recolour, delete (owners and editors), shown in every board
answer, each change one ``board.label_*`` event; and the labels the task database's migration
announces (``labels.imported``) created once however often the event comes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_shared.events.envelope import new_event
from hintro_shared.labels import imported_label_id
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


def new_user() -> str:
    return uuid.uuid4().hex


async def _labels(board: Any, board_id: str, user: str) -> list[dict[str, Any]]:
    response = await board.client.get(f"/api/boards/{board_id}/labels", headers=board.auth(user))
    assert response.status == 200
    labels: list[dict[str, Any]] = await response.json()
    return labels


async def test_label_lifecycle_shows_in_the_board_and_publishes_events(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    base = f"/api/boards/{created['id']}/labels"
    headers = board.auth(owner, **{"X-Socket-Id": "sock1"})
    async with board.probe(
        "board.label_created", "board.label_updated", "board.label_deleted"
    ) as probe:
        response = await board.client.post(
            base, json={"name": "  Bug  ", "color": "red"}, headers=headers
        )
        assert response.status == 201
        bug = await response.json()
        assert bug == {
            "id": bug["id"], "name": "Bug", "color": "red", "background": "#F87168",
            "text": "#000000",
        }  # fmt: skip
        response = await board.client.post(
            base, json={"name": "Docs", "color": "blue"}, headers=headers
        )
        docs = await response.json()
        response = await board.client.patch(
            f"{base}/{bug['id']}", json={"name": "Defect", "color": "purple"}, headers=headers
        )
        assert response.status == 200
        assert (await response.json())["name"] == "Defect"
        # The same values again: no change, no event.
        response = await board.client.patch(
            f"{base}/{bug['id']}", json={"color": "purple"}, headers=headers
        )
        assert response.status == 200
        shown = await board.get_board(created["id"], owner)
        assert [(label["name"], label["color"]) for label in shown["labels"]] == [
            ("Defect", "purple"),
            ("Docs", "blue"),
        ]
        response = await board.client.delete(f"{base}/{bug['id']}", headers=headers)
        assert response.status == 204
        assert [label["id"] for label in await _labels(board, created["id"], owner)] == [docs["id"]]
        got: list[Any] = []

        async def four() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 4

        await wait_for(four)
    assert [(e.type, e.data) for e in got] == [
        (
            "board.label_created",
            {"boardId": created["id"], "labelId": bug["id"], "name": "Bug", "color": "red",
             "version": 2},
        ),
        (
            "board.label_created",
            {"boardId": created["id"], "labelId": docs["id"], "name": "Docs", "color": "blue",
             "version": 3},
        ),
        (
            "board.label_updated",
            {"boardId": created["id"], "labelId": bug["id"], "name": "Defect", "color": "purple",
             "version": 4},
        ),
        (
            "board.label_deleted",
            {"boardId": created["id"], "labelId": bug["id"], "name": "Defect", "version": 5},
        ),
    ]  # fmt: skip
    assert all(e.actor_id == owner and e.origin_socket_id == "sock1" for e in got)
    assert (await board.get_board(created["id"], owner))["version"] == 5


async def test_label_roles_and_refusals(board: Any) -> None:
    owner, editor, viewer, stranger = new_user(), new_user(), new_user(), new_user()
    created = await board.create_board(owner)
    await board.add_member(created["id"], owner, editor, "editor")
    await board.add_member(created["id"], owner, viewer, "viewer")
    base = f"/api/boards/{created['id']}/labels"
    response = await board.client.post(
        base, json={"name": "Ops", "color": "sky"}, headers=board.auth(editor)
    )
    assert response.status == 201
    label = await response.json()
    assert len(await _labels(board, created["id"], viewer)) == 1
    for user, status in ((viewer, 403), (stranger, 404)):
        response = await board.client.post(
            base, json={"name": "X", "color": "red"}, headers=board.auth(user)
        )
        assert response.status == status
        response = await board.client.patch(
            f"{base}/{label['id']}", json={"name": "X"}, headers=board.auth(user)
        )
        assert response.status == status
        response = await board.client.delete(f"{base}/{label['id']}", headers=board.auth(user))
        assert response.status == status
    response = await board.client.get(base, headers=board.auth(stranger))
    assert response.status == 404
    for body in (
        {"name": "", "color": "red"},
        {"name": "   ", "color": "red"},
        {"name": "x" * 51, "color": "red"},
        {"name": "x", "color": "teal"},
        {"name": "x"},
        {"name": "x", "color": "red", "extra": 1},
    ):
        response = await board.client.post(base, json=body, headers=board.auth(owner))
        assert response.status == 422, body
    for body in ({}, {"name": None}, {"color": None}, {"color": "#ff0000"}):
        response = await board.client.patch(
            f"{base}/{label['id']}", json=body, headers=board.auth(owner)
        )
        assert response.status == 422, body
    response = await board.client.patch(
        f"{base}/nosuchlabel", json={"name": "x"}, headers=board.auth(owner)
    )
    assert response.status == 404
    response = await board.client.delete(f"{base}/nosuchlabel", headers=board.auth(owner))
    assert response.status == 404
    assert [item["name"] for item in await _labels(board, created["id"], owner)] == ["Ops"]


async def test_imported_labels_are_created_once(board: Any) -> None:
    owner = new_user()
    created = await board.create_board(owner)
    board_id = created["id"]
    labels = [
        {"labelId": imported_label_id(board_id, name), "name": name, "color": "green"}
        for name in ("bug", "ui")
    ]
    event = new_event(
        "labels.imported",
        source="hintro/task",
        board_id=board_id,
        data={"boardId": board_id, "labels": labels},
    )
    async with board.probe("board.label_created") as probe:
        await board.publish(event)
        await board.publish(event)
        got: list[Any] = []

        async def two() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 2

        await wait_for(two)
        shown = await board.get_board(board_id, owner)
        assert [label["id"] for label in shown["labels"]] == [item["labelId"] for item in labels]
        # The replay added nothing: a label created now is the third, at version 4.
        response = await board.client.post(
            f"/api/boards/{board_id}/labels",
            json={"name": "later", "color": "red"},
            headers=board.auth(owner),
        )
        assert response.status == 201

        async def three() -> bool:
            got.extend(await probe.envelopes())
            return len(got) >= 3

        await wait_for(three)
    assert [e.data["version"] for e in got] == [2, 3, 4]
    assert got[0].actor_id is None
