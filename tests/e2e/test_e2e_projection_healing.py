"""Self-healing board projections, end to end: the task, activity and notification services
never receive a removal, a demotion or a deletion (their queues are unbound from the board
events while it happens, as if the events had been dead-lettered), and still narrow access to
what the board service says within the reconciliation bound, for a board nobody touches.

The grant trust is set far beyond the test (PROJECTION_TRUST_SECONDS=3600), so nothing but the
background reconciliation (PROJECTION_RECONCILE_SECONDS) can cut access here: without it every
assertion below times out."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiohttp
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)
from tests.e2e.stacks import event_queues, isolated_stack

pytestmark = pytest.mark.timeout(300)

RECONCILE_SECONDS = 4.0
# The stated bound (hintro_shared.boardview.reconcile): the interval plus one tick, plus slack
# for a loaded test machine (a request through the gateway, the board service's answer).
BOUND = RECONCILE_SECONDS * 1.25 + 10.0
VIEWS = ("task.projection", "activity.log", "notification.events")
_BOARD_VIEW = {
    "PROJECTION_TRUST_SECONDS": "3600",
    "PROJECTION_RECONCILE_SECONDS": str(RECONCILE_SECONDS),
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def healing(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Gateway, auth, board and the three services that keep a board projection."""
    async with isolated_stack(
        tmp_path_factory.mktemp("keys"),
        name="healing",
        only=("gateway", "auth", "board", "task", "activity", "notification"),
        service_env={name: _BOARD_VIEW for name in ("task", "activity", "notification")},
    ) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def client(healing: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{healing.gateway_url}/") as session:
        yield session


@contextlib.asynccontextmanager
async def board_events_missed(stack: Stack) -> AsyncIterator[None]:
    """While inside, the projections' queues hear no ``board.*`` event (they are lost to
    them, as a dead-lettered event is); bound again on the way out."""
    exchange = stack.env_for(stack.instances[0])["EVENTS_EXCHANGE"]
    names = event_queues(stack)
    connection = await aio_pika.connect_robust(stack.infra_env["RABBITMQ_URL"])
    async with connection:
        channel = await connection.channel()
        queues = [await channel.get_queue(names[view], ensure=False) for view in VIEWS]
        for queue in queues:
            await queue.unbind(exchange, "board.*")
        try:
            yield
        finally:
            for queue in queues:
                await queue.bind(exchange, "board.*")


async def _status(
    http: aiohttp.ClientSession, user: User, method: str, path: str, **kw: Any
) -> int:
    return (await call(http, user, method, path, **kw)).status


async def _held_role(
    stack: Stack, service: str, collection: str, board_id: str, user_id: str
) -> Any:
    """The role ``service``'s projection holds for the member (None: not a member)."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.infra_env["MONGO_URL"])
    try:
        doc = await mongo[str(stack.mongo_db(service))][collection].find_one({"_id": board_id})
    finally:
        await mongo.close()
    if doc is None or doc.get("deleted"):
        return None
    entry = (doc.get("members") or {}).get(user_id) or doc.get(f"members.{user_id}") or {}
    return entry.get("role")


async def _seeded(http: aiohttp.ClientSession) -> tuple[User, User, str, str]:
    owner = await register(http, "Owner")
    member = await register(http, "Member")
    board = await create_board(http, owner, "Healing")
    board_id = board["id"]
    column = await create_list(http, owner, board_id, "Todo")
    await add_member(http, owner, board_id, member, "editor")
    await create_task(http, owner, board_id, column["id"], "First")

    async def member_reads() -> bool:
        tasks = await _status(http, member, "GET", f"api/boards/{board_id}/tasks")
        log = await _status(http, member, "GET", f"api/boards/{board_id}/activity")
        return tasks == 200 and log == 200

    await wait_for(member_reads, within=15.0, what="the member reading tasks and activity")
    return owner, member, board_id, column["id"]


async def test_a_missed_removal_is_healed_within_the_bound_on_an_untouched_board(
    healing: Stack, client: aiohttp.ClientSession
) -> None:
    owner, member, board_id, _ = await _seeded(client)
    async with board_events_missed(healing):
        await ok(client, owner, "DELETE", f"api/boards/{board_id}/members/{member.id}", 204)
        removed_at = time.monotonic()

        # Nobody touches the board: each projection is corrected by itself.
        async def forgotten() -> bool:
            held = [
                await _held_role(healing, "task", "boards", board_id, member.id),
                await _held_role(healing, "activity", "boards", board_id, member.id),
                await _held_role(healing, "notification", "board_members", board_id, member.id),
            ]
            return held == [None, None, None]

        await wait_for(
            forgotten, within=BOUND, interval=0.5, what="every projection dropping the member"
        )
        assert time.monotonic() - removed_at <= BOUND
    assert await _status(client, member, "GET", f"api/boards/{board_id}/tasks") == 404
    assert await _status(client, member, "GET", f"api/boards/{board_id}/activity") == 404


async def test_a_missed_demotion_and_deletion_are_healed_within_the_bound(
    healing: Stack, client: aiohttp.ClientSession
) -> None:
    owner, member, board_id, list_id = await _seeded(client)
    async with board_events_missed(healing):
        await ok(
            client,
            owner,
            "PATCH",
            f"api/boards/{board_id}/members/{member.id}",
            json_body={"role": "viewer"},
        )

        async def read_only() -> bool:
            status = await _status(
                client,
                member,
                "POST",
                f"api/boards/{board_id}/tasks",
                json_body={"listId": list_id, "title": "Sneaky"},
            )
            assert status in (201, 403), status
            return status == 403

        await wait_for(read_only, within=BOUND, what="the demoted member refused a write")

        await ok(client, owner, "POST", f"api/boards/{board_id}/archive")
        await ok(client, owner, "DELETE", f"api/boards/{board_id}", 204)

        async def gone() -> bool:
            return await _status(client, owner, "GET", f"api/boards/{board_id}/tasks") == 404

        await wait_for(gone, within=BOUND, what="the deleted board's tasks refused")
