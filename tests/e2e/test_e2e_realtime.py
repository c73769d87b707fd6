"""Live updates end to end: real users through the gateway's /socket.io/ (and each realtime
replica directly), real board, task and activity services, two realtime replicas.

"Receives nothing" is always asserted with a later marker change: once the marker has arrived,
the suppressed push would have arrived before it (pushes are in seq order).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import socketio

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import SocketClient
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

WITHIN = 20.0  # REST write -> outbox -> activity -> push, on a loaded 2-core machine


@pytest_asyncio.fixture(loop_scope="session")
async def sockets(stack: Stack) -> AsyncIterator[list[SocketClient]]:
    """Every socket a test opens; closed afterwards."""
    opened: list[SocketClient] = []
    yield opened
    for client in opened:
        await client.close()


async def connect(
    sockets: list[SocketClient], url: str, user: User | None, token: str | None = None
) -> SocketClient:
    """A socket of ``user`` (or with ``token``) connected over websocket to ``url``."""
    client = SocketClient()
    await client.connect(url, token if token is not None else (user.token if user else None))
    sockets.append(client)
    return client


async def activity(http: aiohttp.ClientSession, user: User, board_id: str) -> list[Any]:
    """The board's activity log, newest first (one page of up to 100)."""
    page = await ok(http, user, "GET", f"api/boards/{board_id}/activity?limit=100")
    items: list[Any] = page["items"]
    return items


async def settled_seq(http: aiohttp.ClientSession, user: User, board_id: str, at_least: int) -> int:
    """Wait until the board's log holds ``at_least`` entries; its newest seq."""

    async def reached() -> int | None:
        items = await activity(http, user, board_id)
        return items[0]["seq"] if items and items[0]["seq"] >= at_least else None

    return await wait_for(reached, within=WITHIN, what=f"{at_least} activity entries")


async def wait_seq(client: SocketClient, board_id: str, seq: int) -> None:
    """Until ``client`` was pushed ``seq`` of the board."""
    await client.wait_for_seq(board_id, seq, within=WITHIN)


async def joined(client: SocketClient, board_id: str, since_seq: int | None = None) -> int:
    """Join, assert it was accepted, return the acked seq."""
    ack = await client.join(board_id, since_seq)
    assert ack["ok"] is True, ack
    assert "resync" not in ack, ack
    seq: int = ack["seq"]
    return seq


async def scene(http: aiohttp.ClientSession) -> tuple[User, User, dict[str, Any], list[Any]]:
    """Ada owns a board with two lists; Bob is an editor. Waits until the log has all four
    entries (board created, member added, two lists) so later pushes are only the test's."""
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada, "Launch")
    await add_member(http, ada, board["id"], bob)
    lists = [await create_list(http, ada, board["id"], t) for t in ("To do", "Done")]
    await settled_seq(http, ada, board["id"], 4)
    return ada, bob, board, lists


async def test_a_member_receives_each_change_in_seq_order_and_the_log_reads_them(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada, bob, board, (todo, done) = await scene(http)
    bob_socket = await connect(sockets, stack.gateway_url, bob)
    start = await joined(bob_socket, board["id"])

    # Each change waits for its push before the next: the task and the list change come from
    # different services, so without that their relative order is not defined (seq is).
    task = await create_task(http, ada, board["id"], todo["id"], "Fix login")
    await wait_seq(bob_socket, board["id"], start + 1)
    await ok(http, ada, "POST", f"api/tasks/{task['id']}/move", json_body={"listId": done["id"]})
    await wait_seq(bob_socket, board["id"], start + 2)
    await ok(http, ada, "PATCH", f"api/lists/{todo['id']}", json_body={"title": "Backlog"})
    await wait_seq(bob_socket, board["id"], start + 3)

    pushed = bob_socket.events
    assert [p["type"] for p in pushed] == ["task.created", "task.moved", "list.updated"]
    assert [p["seq"] for p in pushed] == [start + 1, start + 2, start + 3]
    assert all(p["boardId"] == board["id"] and p["actorId"] == ada.id for p in pushed)
    assert pushed[0]["data"]["taskId"] == task["id"]
    assert pushed[1]["data"]["toListId"] == done["id"]

    log = (await activity(http, bob, board["id"]))[:3][::-1]
    assert [(e["id"], e["seq"], e["type"]) for e in log] == [
        (p["id"], p["seq"], p["type"]) for p in pushed
    ]
    created, moved, renamed = (e["summary"] for e in log)
    assert "Ada" in created
    assert "“Fix login”" in created
    assert "Ada moved “Fix login”" in moved
    assert "Done" in moved
    assert "Ada" in renamed
    assert "Backlog" in renamed
    assert all(e["actor"] == {"id": ada.id, "name": "Ada"} for e in log)


async def test_a_member_who_was_away_gets_exactly_the_missed_changes_on_rejoin(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada, bob, board, (todo, done) = await scene(http)
    first = await connect(sockets, stack.gateway_url, bob)
    last_seen = await joined(first, board["id"])
    await first.close()

    task = await create_task(http, ada, board["id"], todo["id"], "Write docs")
    await ok(http, ada, "PATCH", f"api/tasks/{task['id']}", json_body={"title": "Write the docs"})
    await ok(http, ada, "POST", f"api/tasks/{task['id']}/move", json_body={"listId": done["id"]})
    await settled_seq(http, ada, board["id"], last_seen + 3)

    again = await connect(sockets, stack.gateway_url, bob)
    assert await joined(again, board["id"], since_seq=last_seen) == last_seen + 3
    await create_list(http, ada, board["id"], "Marker")  # live, after the replay
    await wait_seq(again, board["id"], last_seen + 4)
    assert [(p["seq"], p["type"]) for p in again.events] == [
        (last_seen + 1, "task.created"),
        (last_seen + 2, "task.updated"),
        (last_seen + 3, "task.moved"),
        (last_seen + 4, "list.created"),
    ]


async def test_only_members_with_valid_tokens_receive_and_a_removed_one_stops(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada, bob, board, (todo, _) = await scene(http)
    eve = await register(http, "Eve")

    for bad in ("not-a-token", ada.token[:-6] + "AAAAAA", ""):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(sockets, stack.gateway_url, None, token=bad)

    outsider = await connect(sockets, stack.gateway_url, eve)
    refused = await outsider.join(board["id"])
    assert refused["ok"] is False
    assert refused["error"] == "not_found"

    ada_socket = await connect(sockets, stack.gateway_url, ada)
    bob_socket = await connect(sockets, stack.gateway_url, bob)
    start = await joined(ada_socket, board["id"])
    await joined(bob_socket, board["id"])
    reply = await call(http, ada, "DELETE", f"api/boards/{board['id']}/members/{bob.id}")
    assert reply.status == 204, reply.text
    await create_task(http, ada, board["id"], todo["id"], "After Bob left")  # the marker
    await wait_seq(ada_socket, board["id"], start + 2)

    assert [p["type"] for p in ada_socket.events] == ["board.member_removed", "task.created"]
    assert [p["type"] for p in bob_socket.events] == ["board.member_removed"]
    rejoin = await bob_socket.join(board["id"])
    assert rejoin["ok"] is False
    assert rejoin["error"] == "not_found"


async def test_sockets_on_both_realtime_replicas_receive_the_same_pushes(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    assert {"realtime", "realtime-2"} <= set(stack.urls), "the stack runs two replicas"
    ada, bob, board, (todo, _) = await scene(http)
    on_first = await connect(sockets, stack.url("realtime"), bob)
    on_second = await connect(sockets, stack.url("realtime-2"), ada)
    via_gateway = await connect(sockets, stack.gateway_url, bob)
    start = await joined(on_first, board["id"])
    for client in (on_second, via_gateway):
        await joined(client, board["id"])

    for title in ("One", "Two", "Three"):
        await create_task(http, ada, board["id"], todo["id"], title)
    for client in (on_first, on_second, via_gateway):
        await wait_seq(client, board["id"], start + 3)
    assert on_first.events == on_second.events == via_gateway.events
    assert [p["seq"] for p in on_first.events] == [start + 1, start + 2, start + 3]


async def test_the_socket_that_made_a_change_gets_no_echo(
    stack: Stack, http: aiohttp.ClientSession, sockets: list[SocketClient]
) -> None:
    ada, bob, board, (todo, _) = await scene(http)
    ada_socket = await connect(sockets, stack.gateway_url, ada)
    ada_tab = await connect(sockets, stack.gateway_url, ada)  # her other tab
    bob_socket = await connect(sockets, stack.gateway_url, bob)
    start = await joined(ada_socket, board["id"])
    for client in (ada_tab, bob_socket):
        await joined(client, board["id"])

    reply = await call(
        http,
        ada,
        "POST",
        f"api/boards/{board['id']}/tasks",
        json_body={"listId": todo["id"], "title": "Quiet"},
        headers={"X-Socket-Id": ada_socket.sid},
    )
    assert reply.status == 201, reply.text
    await create_task(http, bob, board["id"], todo["id"], "Marker")
    for client in (ada_socket, ada_tab, bob_socket):
        await wait_seq(client, board["id"], start + 2)

    assert ada_socket.seqs(board["id"]) == [start + 2]
    assert ada_tab.seqs(board["id"]) == [start + 1, start + 2]
    assert bob_socket.seqs(board["id"]) == [start + 1, start + 2]
