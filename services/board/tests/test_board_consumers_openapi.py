"""Events into the board service (the users projection, the purge of a deleted board's lists,
poison messages) and the OpenAPI declaration of every route."""

from __future__ import annotations

import uuid
from typing import Any

import aio_pika
import pytest

from hintro_board.routes import OPERATIONS
from hintro_shared.events.catalogue import BoardDeleted
from hintro_shared.events.envelope import new_event
from hintro_shared.events.topology import dlq_name
from hintro_shared.openapi import build_openapi
from hintro_testkit.events import passive_queue
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


async def test_board_deleted_event_purges_the_boards_lists(board: Any) -> None:
    owner = uuid.uuid4().hex
    b = (await board.create_board(owner))["id"]
    for title in ("A", "B"):
        await board.create_list(b, owner, title)
    # As if the deleting process died between the board's tombstone and the list purge.
    data = BoardDeleted(board_id=b, version=2, title="Board")
    await board.publish(new_event("board.deleted", source="hintro/board", data=data, board_id=b))

    async def purged() -> bool:
        remaining: int = await board.db["lists"].count_documents({"boardId": b})
        return remaining == 0

    await wait_for(purged, what="lists of the deleted board purged")


async def test_poison_event_goes_to_the_dlq_and_the_next_one_is_applied(board: Any) -> None:
    exchange_name = board.settings.events_exchange
    async with board.connection.channel() as channel:
        exchange = await channel.get_exchange(exchange_name)
        await exchange.publish(
            aio_pika.Message(body=b'{"id": "x", "type": "user.registered"}'),
            routing_key="user.registered",
        )
    user_id, _ = await board.register("After")
    assert user_id
    async with board.connection.channel() as channel:
        dlq = await passive_queue(channel, dlq_name(board.settings.consumer_queue))

        async def dead_lettered() -> bool:
            return await dlq.count() >= 1

        await wait_for(dead_lettered, what="the invalid event in the DLQ")


def test_every_route_is_declared_with_its_schemas() -> None:
    doc = build_openapi(OPERATIONS, title="board", version="1")
    routes = {(op.method, op.path) for op in OPERATIONS}
    assert routes == {
        ("GET", "/api/boards"),
        ("POST", "/api/boards"),
        ("GET", "/api/boards/{boardId}"),
        ("PATCH", "/api/boards/{boardId}"),
        ("DELETE", "/api/boards/{boardId}"),
        ("POST", "/api/boards/{boardId}/members"),
        ("PATCH", "/api/boards/{boardId}/members/{userId}"),
        ("DELETE", "/api/boards/{boardId}/members/{userId}"),
        ("POST", "/api/boards/{boardId}/transfer"),
        ("GET", "/api/users"),
        ("GET", "/api/boards/{boardId}/lists"),
        ("POST", "/api/boards/{boardId}/lists"),
        ("PATCH", "/api/lists/{listId}"),
        ("DELETE", "/api/lists/{listId}"),
        ("GET", "/api/boards/{boardId}/labels"),
        ("POST", "/api/boards/{boardId}/labels"),
        ("PATCH", "/api/boards/{boardId}/labels/{labelId}"),
        ("DELETE", "/api/boards/{boardId}/labels/{labelId}"),
        ("POST", "/api/boards/{boardId}/archive"),
        ("POST", "/api/boards/{boardId}/restore"),
        ("POST", "/api/lists/{listId}/archive"),
        ("POST", "/api/lists/{listId}/restore"),
    }
    schemas = doc["components"]["schemas"]
    assert set(schemas["BoardOut"]["properties"]) == {
        "id", "title", "description", "ownerId", "members", "labels", "createdAt", "updatedAt",
        "version", "archivedAt",
    }  # fmt: skip
    assert set(schemas["MemberOut"]["properties"]) == {
        "userId", "role", "name", "email", "initials", "color"
    }  # fmt: skip
    assert schemas["BoardCreate"]["additionalProperties"] is False
    assert set(schemas["ListPatch"]["properties"]) == {"title", "afterId", "beforeId"}
    create = doc["paths"]["/api/boards/{boardId}/members"]["post"]
    assert set(create["responses"]) >= {"201", "401", "403", "404", "409", "422"}
