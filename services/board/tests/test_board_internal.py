"""The internal board-states route the projections reconcile against: only a caller with the
shared INTERNAL_TOKEN gets an answer (anyone else, a user's token included, gets 404 as if
there were no route), and the answer is each live board's version and members, with the ids
the board service no longer has."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import SecretStr

pytestmark = pytest.mark.integration

TOKEN = "internal-" + uuid.uuid4().hex
STATES = "/internal/board-states"


async def test_board_states_answer_the_internal_caller_only(start_board: Any) -> None:
    async with start_board(internal_token=SecretStr(TOKEN)) as board:
        owner, _ = await board.register("Owner")
        member, _ = await board.register("Member")
        created = await board.create_board(owner, "Reconciled")
        await board.add_member(created["id"], owner, member, "viewer")
        gone = f"b{uuid.uuid4().hex}"
        body = {"ids": [created["id"], gone]}

        for headers in (
            {},
            board.auth(owner),
            {"Authorization": "Internal wrong"},
            {"Authorization": f"Bearer {TOKEN}"},
        ):
            refused = await board.client.post(STATES, json=body, headers=headers)
            assert refused.status == 404, headers
            assert "members" not in await refused.text()

        answer = await board.client.post(
            STATES, json=body, headers={"Authorization": f"Internal {TOKEN}"}
        )
        assert answer.status == 200
        states = await answer.json()
        assert states["missing"] == [gone]
        (state,) = states["boards"]
        assert state["id"] == created["id"]
        assert state["version"] >= 2
        assert {m["userId"]: m["role"] for m in state["members"]} == {
            owner: "owner",
            member: "viewer",
        }

        too_many = await board.client.post(
            STATES,
            json={"ids": [f"b{n}" for n in range(501)]},
            headers={"Authorization": f"Internal {TOKEN}"},
        )
        assert too_many.status == 422
