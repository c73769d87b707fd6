"""Given ids (docs/api.md, "Given ids"): a board, list or label created with an ``id`` of the
client's is made once; the same create again answers ``200`` with it, writes nothing and
publishes nothing; an id used elsewhere is ``409``; a malformed one ``422``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


def _id() -> str:
    return uuid.uuid4().hex


async def _post(board: Any, path: str, user: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await board.client.post(path, json=body, headers=board.auth(user))
    return response.status, await response.json()


async def test_a_board_list_and_label_with_given_ids_are_made_once(board: Any) -> None:
    owner, stranger = _id(), _id()
    board_id, list_id, label_id = _id(), _id(), _id()
    async with board.probe("board.created", "list.created", "board.label_created") as probe:
        status, made = await _post(board, "/api/boards", owner, {"id": board_id, "title": "B"})
        assert (status, made["id"]) == (201, board_id)
        status, again = await _post(board, "/api/boards", owner, {"id": board_id, "title": "X"})
        assert (status, again["id"], again["title"]) == (200, board_id, "B")

        lists = f"/api/boards/{board_id}/lists"
        status, made = await _post(board, lists, owner, {"id": list_id, "title": "L"})
        assert (status, made["id"]) == (201, list_id)
        status, again = await _post(board, lists, owner, {"id": list_id, "title": "L"})
        assert (status, again["id"], again["version"]) == (200, list_id, 1)

        labels = f"/api/boards/{board_id}/labels"
        body = {"id": label_id, "name": "Bug", "color": "red"}
        status, made = await _post(board, labels, owner, body)
        assert (status, made["id"]) == (201, label_id)
        status, again = await _post(board, labels, owner, body)
        assert (status, again["id"]) == (200, label_id)

        # A sentinel after the repeats: once its event is in, the repeats' would be too.
        sentinel = _id()
        await _post(board, lists, owner, {"id": sentinel, "title": "S"})
        got: list[Any] = []

        async def sentinel_seen() -> bool:
            got.extend(await probe.envelopes())
            return any(e.data.get("listId") == sentinel for e in got)

        await wait_for(sentinel_seen)
    made_ids = [e.data.get("labelId") or e.data.get("listId") or e.data.get("boardId") for e in got]
    assert sorted(made_ids) == sorted([board_id, list_id, label_id, sentinel])
    shown = await board.get_board(board_id, owner)
    assert [item["id"] for item in shown["lists"]] == [list_id, sentinel]
    assert [label["id"] for label in shown["labels"]] == [label_id]

    # Someone else's board id, and ids already used on another board, are refused.
    status, problem = await _post(board, "/api/boards", stranger, {"id": board_id, "title": "B"})
    assert status == 409
    assert problem["detail"] == "The id is already used by another board; choose another id."
    other = (await board.create_board(owner))["id"]
    status, _ = await _post(
        board, f"/api/boards/{other}/lists", owner, {"id": list_id, "title": "L"}
    )
    assert status == 409
    body = {"id": label_id, "name": "Bug", "color": "red"}
    status, _ = await _post(board, f"/api/boards/{other}/labels", owner, body)
    assert status == 409
    # A stranger learns nothing of a board through a list id: 404 as for any create.
    status, _ = await _post(
        board, f"/api/boards/{board_id}/lists", stranger, {"id": _id(), "title": "L"}
    )
    assert status == 404


@pytest.mark.parametrize("given", ["short", "A" * 32, "g" * 32, 5])
async def test_a_malformed_given_id_is_422(board: Any, given: Any) -> None:
    status, problem = await _post(board, "/api/boards", _id(), {"id": given, "title": "B"})
    assert status == 422
    assert problem["errors"][0]["loc"][-1] == "id"
