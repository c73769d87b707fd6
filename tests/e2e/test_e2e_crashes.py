"""Crashes during load: the whole stack under the supervisor of `make run`, a mixed load of
task and list writes through the gateway with sockets on the boards, while the task service,
the activity service, one realtime replica, the board service and the gateway are killed with
SIGKILL in turn (the supervisor restarts each), and then Redis (the test's own) is restarted.

Afterwards: every write answered 2xx is in its board's activity log exactly once and in the
boards' state; the logs have no gap and no duplicate; every socket reconnected and, by rejoining
with ``sinceSeq`` (or reloading on ``resync``), has every seq of the log since it first joined;
no event sits in a dead-letter queue, and every consumer queue drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from hintro_devtools.ports import free_port
from hintro_devtools.restarts import RestartPolicy
from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import User, add_member, create_board, create_list, ok, register
from tests.e2e.crash_load import CatchingUpSocket, Writer, entry_key, whole_log
from tests.e2e.stacks import isolated_stack, queue_depths

KILLED_IN_TURN = ("task", "activity", "realtime-2", "board", "gateway")
WRITES_BETWEEN_CRASHES = 8  # 2xx writes the load makes after each recovery before the next kill
RECOVERY = 60.0  # restart + readiness of one service on a busy 2-core machine
SETTLE = 60.0  # the log and the sockets catch up once the load stops
# Fast restarts (the test waits for them); a crash loop would still stop the stack.
POLICY = RestartPolicy(max_crashes=3, window_seconds=60, first_delay=0.2, max_delay=1.0)

pytestmark = pytest.mark.timeout(300)


NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


def _redis_server(port: int) -> subprocess.Popen[bytes]:
    # The test's own Redis, without persistence: a restart loses every key, as a real one
    # without a volume would.
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class OwnRedis:
    """A redis-server on a free port that the test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = _redis_server(self.port)

    async def up(self) -> None:
        async def pong() -> bool:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)
            try:
                return bool(await client.ping())
            finally:
                await client.aclose()

        await wait_for(pong, within=15, what=f"redis on {self.port}")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    async def restart(self) -> None:
        self.stop()
        self.process = _redis_server(self.port)
        await self.up()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def supervised(
    own_redis: OwnRedis, tmp_path: Path
) -> AsyncIterator[tuple[Stack, asyncio.Task[None]]]:
    await own_redis.up()
    async with isolated_stack(tmp_path, name="crashes", env={"REDIS_URL": own_redis.url}) as stack:
        supervising = asyncio.create_task(stack.supervise(POLICY))
        try:
            yield stack, supervising
        finally:
            if supervising.done():
                supervising.result()  # a crash loop fails the test with the service's lines


async def all_ready(stack: Stack) -> bool:
    """Every instance answers /readyz with 200 (Redis, RabbitMQ and Mongo reachable again)."""
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for url in stack.urls.values():
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status != 200:
                        return False
            except (aiohttp.ClientError, TimeoutError):
                return False
    return True


async def kill_and_recover(stack: Stack, name: str) -> None:
    """SIGKILL one instance; wait until the supervisor restarted it and all are ready."""
    victim = stack.running[name].process
    os.kill(victim.pid, signal.SIGKILL)

    async def back() -> bool:
        return stack.running[name].process.pid != victim.pid and await all_ready(stack)

    await wait_for(back, within=RECOVERY, interval=0.2, what=f"{name} restarted and ready")


async def more_writes(writers: list[Writer], count: int) -> None:
    """Until the load has made ``count`` more 2xx writes."""
    target = sum(writer.ok for writer in writers) + count

    async def made() -> bool:
        return sum(writer.ok for writer in writers) >= target

    await wait_for(made, within=RECOVERY, what=f"{count} more 2xx writes")


async def test_writes_and_sockets_survive_each_service_killed_in_turn_and_a_redis_restart(
    supervised: tuple[Stack, asyncio.Task[None]], own_redis: OwnRedis
) -> None:
    stack, supervising = supervised
    async with aiohttp.ClientSession(base_url=f"{stack.gateway_url}/") as http:
        ada, bob = await register(http, "Ada"), await register(http, "Bob")
        boards: list[str] = []
        lists: dict[str, list[str]] = {}
        for title in ("Alpha", "Beta"):
            board = (await create_board(http, ada, title))["id"]
            await add_member(http, ada, board, bob)
            lists[board] = [
                (await create_list(http, ada, board, f"{title} {n}"))["id"] for n in range(3)
            ]
            boards.append(board)

        # Each writer owns the first list of its pair and the tasks it creates.
        writers = [
            Writer(http, ada, boards[0], lists[boards[0]]),
            Writer(http, bob, boards[0], lists[boards[0]][1:] + lists[boards[0]][:1]),
            Writer(http, ada, boards[1], lists[boards[1]]),
            Writer(http, bob, boards[1], lists[boards[1]][1:] + lists[boards[1]][:1]),
        ]
        sockets = [
            CatchingUpSocket("bob@gateway", stack.gateway_url, bob, boards, http),
            CatchingUpSocket("ada@realtime", stack.url("realtime"), ada, boards, http),
            CatchingUpSocket("bob@realtime-2", stack.url("realtime-2"), bob, boards, http),
        ]
        for socket in sockets:
            await socket.open()

        stop = asyncio.Event()
        load = [asyncio.create_task(writer.run(stop)) for writer in writers]
        try:
            await more_writes(writers, WRITES_BETWEEN_CRASHES)
            for name in KILLED_IN_TURN:
                await kill_and_recover(stack, name)
                await more_writes(writers, WRITES_BETWEEN_CRASHES)
            await own_redis.restart()
            await wait_for(lambda: all_ready(stack), within=RECOVERY, what="ready after Redis")
            await more_writes(writers, WRITES_BETWEEN_CRASHES)
        finally:
            stop.set()
            await asyncio.gather(*load)

        assert not supervising.done(), "the supervisor gave up"
        assert stack.restarts == dict.fromkeys(KILLED_IN_TURN, 1)

        # A last write per board, once all is well: its push shows a socket any hole left.
        for writer in writers[::2]:
            await writer.step()
        try:
            await check_everything(http, ada, boards, writers, sockets, stack)
            statuses = sum((writer.statuses for writer in writers), Counter[int | str]())
            print(  # the figures docs/development.md quotes (pytest -s shows them)
                f"\ncrash test: answers {dict(statuses)}; "
                + "; ".join(
                    f"{s.name}: {s.connects} connects, {s.rejoins} rejoins, {s.resyncs} resyncs"
                    for s in sockets
                )
            )
        finally:
            for socket in sockets:
                await socket.close()


async def check_everything(
    http: aiohttp.ClientSession,
    user: User,
    boards: list[str],
    writers: list[Writer],
    sockets: list[CatchingUpSocket],
    stack: Stack,
) -> None:
    expected = {board: set().union(*(w.expected() for w in writers if w.board_id == board))
                for board in boards}  # fmt: skip
    logs: dict[str, list[dict[str, Any]]] = {}

    async def recorded() -> bool:
        for board in boards:
            logs[board] = await whole_log(http, user, board)
            if not expected[board] <= {entry_key(e) for e in logs[board]}:
                return False
        return True

    # On a timeout the assertions below say what is missing.
    with contextlib.suppress(AssertionError):
        await wait_for(recorded, within=SETTLE, interval=0.5, what="every 2xx write in the log")
    for board in boards:
        log = logs[board]
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), "a gap in the log"
        assert len({e["id"] for e in log}) == len(log), "an event recorded twice"
        keys = Counter(key for e in log if (key := entry_key(e)) is not None)
        assert not [key for key, n in keys.items() if n > 1], "an entry recorded twice"
        missing = sorted(expected[board] - set(keys))
        assert not missing, f"2xx writes missing from the log: {missing[:10]}"

    for writer in writers:
        await check_state(http, writer)

    last_seq = {board: logs[board][-1]["seq"] for board in boards}

    async def caught_up() -> bool:
        return all(s.has(board) >= last_seq[board] for s in sockets for board in boards)

    with contextlib.suppress(AssertionError):
        await wait_for(caught_up, within=SETTLE, interval=0.2, what="sockets caught up")
    for socket in sockets:
        for board in boards:
            lost = socket.missing(board, last_seq[board])
            assert not lost, f"never got seqs {lost[:20]} of {board}: {socket.describe(board)}"
        assert socket.refusals == [], socket.refusals
    # The gateway socket lost its connection twice (realtime-2 may have been its replica, and
    # the gateway itself died); each direct socket at least when its replica was killed.
    assert sockets[0].connects >= 2
    assert sockets[2].connects >= 2

    async def drained() -> dict[str, int | None] | None:
        depths = await queue_depths(stack)
        return depths if all(depth == 0 for depth in depths.values()) else None

    depths = await queue_depths(stack)
    with contextlib.suppress(AssertionError):
        depths = await wait_for(drained, within=SETTLE, interval=0.5, what="queues drained")
    assert all(depth == 0 for depth in depths.values()), depths


async def check_state(http: aiohttp.ClientSession, writer: Writer) -> None:
    """Nothing answered 2xx was lost: each entity is at least at the version its last 2xx
    answered, and exactly there (with that title or list) when no uncertain write followed."""
    for entity in writer.entities:
        last = entity.last_certain()
        if last is None:
            continue
        path = f"api/tasks/{entity.id}" if entity.kind == "task" else None
        if path is None:
            items = await ok(http, writer.user, "GET", f"api/boards/{writer.board_id}/lists")
            now = next(item for item in items if item["id"] == entity.id)
        else:
            now = await ok(http, writer.user, "GET", path)
        assert last.version is not None
        assert now["version"] >= last.version, (entity.id, now, last)
        if not entity.uncertain_after_last_certain():
            assert now["version"] == last.version, (entity.id, now, last)
            if last.key_type == "task.moved":
                assert now["listId"] == last.value
            else:
                assert now["title"] == last.value
