"""What the crash test (test_e2e_crashes.py) drives and checks: writers that keep changing tasks
and lists through the gateway and remember what each 2xx said, and sockets that behave as the
contract asks a client to (reconnect, rejoin with ``sinceSeq``, reload on ``resync``) while
remembering every seq they saw.

Every board, list and task write answers the resource's new ``version`` and records one event
carrying it, so ``(type, subject id, version)`` names exactly one activity entry: that is how a
2xx write is matched to its entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

from tests.e2e.boards_helpers import User

WRITE_PAUSE = 0.1  # between one writer's writes: bounds the load on a shared 2-core machine
REQUEST_TIMEOUT = 10.0
JOIN_TIMEOUT = 15.0
_RETRY_IN = re.compile(r"retry in (\d+) seconds")
RETRY_PAUSE = 0.3  # before retrying a join the realtime service answered `unavailable`

Key = tuple[str, str, int]
"""(event type, subject id, version): one activity entry."""


@dataclass
class Attempt:
    """One write: what it asked for, and the version it answered when it answered 2xx."""

    key_type: str
    subject: str
    value: str  # the title set, or the list moved to
    version: int | None  # None: no 2xx (refused, failed, or no answer)


@dataclass
class Entity:
    """A task or list one writer owns: every write attempted on it, in order."""

    kind: str  # "task" or "list"
    id: str
    attempts: list[Attempt] = field(default_factory=list)

    def last_certain(self) -> Attempt | None:
        """The last write that answered 2xx."""
        return next((a for a in reversed(self.attempts) if a.version is not None), None)

    def uncertain_after_last_certain(self) -> bool:
        """Whether a write without a 2xx followed the last 2xx (it may have happened)."""
        last = self.last_certain()
        after = self.attempts[self.attempts.index(last) + 1 :] if last else self.attempts
        return any(a.version is None for a in after)


class Writer:
    """One user changing one board through the gateway: creates tasks, renames and moves its
    own tasks, renames its own list, now and then creates a list."""

    def __init__(self, http: aiohttp.ClientSession, user: User, board_id: str, lists: list[str]):
        self.http = http
        self.user = user
        self.board_id = board_id
        self.lists = lists
        self.own_list = Entity("list", lists[0])
        self.tasks: list[Entity] = []
        self.new_lists: list[Entity] = []
        self.statuses: Counter[int | str] = Counter()
        self.ok = 0
        self._n = itertools.count(1)

    @property
    def entities(self) -> list[Entity]:
        return [self.own_list, *self.tasks, *self.new_lists]

    def expected(self) -> set[Key]:
        """The entries the 2xx writes must have made."""
        return {
            (a.key_type, a.subject, a.version)
            for entity in self.entities
            for a in entity.attempts
            if a.version is not None
        }

    async def _send(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            async with self.http.request(
                method,
                path,
                json=body,
                headers={"Authorization": f"Bearer {self.user.token}"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                payload = await response.json(content_type=None)
                self.statuses[response.status] += 1
                return response.status, payload
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.statuses[type(exc).__name__] += 1
            return 0, None

    async def _write(
        self, entity: Entity, key_type: str, value: str, method: str, path: str, body: Any
    ) -> Any:
        status, payload = await self._send(method, path, body)
        certain = 200 <= status < 300
        if certain:
            self.ok += 1
        entity.attempts.append(
            Attempt(key_type, entity.id, value, payload["version"] if certain else None)
        )
        return payload if certain else None

    async def step(self) -> None:
        """One write, chosen in turn."""
        n = next(self._n)
        title = f"{self.user.name}-{n}"
        if n % 4 == 1 or not self.tasks:
            list_id = self.lists[n % len(self.lists)]
            status, task = await self._send(
                "POST", f"api/boards/{self.board_id}/tasks", {"listId": list_id, "title": title}
            )
            if status == 201:
                self.ok += 1
                entity = Entity("task", task["id"])
                entity.attempts.append(Attempt("task.created", task["id"], title, 1))
                self.tasks.append(entity)
            # A create without a 2xx has no id to follow; its entry, if any, is not expected.
        elif n % 4 == 2:
            task = self.tasks[n % len(self.tasks)]
            await self._write(
                task, "task.updated", title, "PATCH", f"api/tasks/{task.id}", {"title": title}
            )
        elif n % 4 == 3:
            task = self.tasks[n % len(self.tasks)]
            to = self.lists[(n // 4) % len(self.lists)]
            await self._write(
                task, "task.moved", to, "POST", f"api/tasks/{task.id}/move", {"listId": to}
            )
        elif n % 20 == 0:
            status, made = await self._send(
                "POST", f"api/boards/{self.board_id}/lists", {"title": title}
            )
            if status == 201:
                self.ok += 1
                entity = Entity("list", made["id"])
                entity.attempts.append(Attempt("list.created", made["id"], title, 1))
                self.new_lists.append(entity)
        else:
            own = self.own_list
            await self._write(
                own, "list.updated", title, "PATCH", f"api/lists/{own.id}", {"title": title}
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Write until ``stop`` is set."""
        while not stop.is_set():
            await self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WRITE_PAUSE)


class CatchingUpSocket:
    """A socket on some boards that keeps up the way docs/api.md asks a client to: reconnects
    (python-socketio's own backoff), rejoins every board with ``sinceSeq`` = the last seq it has
    without a hole, rejoins when a push skips a seq, retries ``unavailable`` joins, and on
    ``resync`` reloads the missing range over REST."""

    def __init__(
        self, name: str, url: str, user: User, boards: list[str], http: aiohttp.ClientSession
    ) -> None:
        self.name = name
        self.url = url
        self.user = user
        self.boards = boards
        self.http = http
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1.0,
            randomization_factor=0.2,
            handle_sigint=False,
        )
        self.start: dict[str, int] = {}
        self.seen: dict[str, set[int]] = {board: set() for board in boards}
        self.reloaded: dict[str, set[int]] = {board: set() for board in boards}
        self.connects = 0
        self.rejoins = 0
        self.resyncs = 0
        self.refusals: list[dict[str, Any]] = []
        self._catching_up: dict[str, asyncio.Task[None]] = {}
        self.sio.on("connect", self._on_connect)
        self.sio.on("event", self._on_event)

    async def open(self) -> None:
        """Connect and join every board plainly (from its current seq)."""
        await self.sio.connect(
            self.url,
            auth={"token": self.user.token},
            transports=["websocket"],
            wait_timeout=10,
        )
        for board in self.boards:
            ack = await self.sio.call("board:join", {"boardId": board}, timeout=JOIN_TIMEOUT)
            assert ack["ok"] is True, ack
            self.start[board] = ack["seq"]

    def has(self, board: str) -> int:
        """The highest seq up to which this socket has every event of the board."""
        have = self.seen[board] | self.reloaded[board]
        seq = self.start[board]
        while seq + 1 in have:
            seq += 1
        return seq

    def missing(self, board: str, upto: int) -> list[int]:
        """The seqs after the first join, up to ``upto``, it never got."""
        have = self.seen[board] | self.reloaded[board]
        return [seq for seq in range(self.start[board] + 1, upto + 1) if seq not in have]

    def describe(self, board: str) -> str:
        """Its state, for a failure message."""
        return (
            f"{self.name}: connected={self.sio.connected} connects={self.connects} "
            f"rejoins={self.rejoins} resyncs={self.resyncs} start={self.start[board]} "
            f"has={self.has(board)} max_seen={max(self.seen[board], default=None)} "
            f"seen={len(self.seen[board])} reloaded={len(self.reloaded[board])}"
        )

    async def _on_connect(self) -> None:
        self.connects += 1
        if self.connects > 1:  # a reconnect: the rooms are gone; python-socketio awaits this
            for board in self.boards:  # handler inline, so the joins run as tasks
                self._catch_up(board, restart=True)

    async def _on_event(self, payload: dict[str, Any]) -> None:
        board, seq = payload.get("boardId"), payload.get("seq")
        if board not in self.seen or not isinstance(seq, int) or board not in self.start:
            return
        self.seen[board].add(seq)
        if seq > self.has(board) + 1:
            self._catch_up(board)

    def _catch_up(self, board: str, *, restart: bool = False) -> None:
        running = self._catching_up.get(board)
        if running is not None and not running.done():
            if not restart:
                return  # the join under way will look again when it is answered
            running.cancel()
        self._catching_up[board] = asyncio.create_task(self._rejoin(board))

    async def _rejoin(self, board: str) -> None:
        # Not gated on ``sio.connected``: python-socketio sets it only after the connect
        # handler that starts this has returned.
        while True:
            since = self.has(board)
            self.rejoins += 1
            try:
                ack = await self.sio.call(
                    "board:join", {"boardId": board, "sinceSeq": since}, timeout=JOIN_TIMEOUT
                )
            except socketio.exceptions.BadNamespaceError:
                return  # disconnected: the reconnect starts another rejoin
            except socketio.exceptions.TimeoutError:
                continue
            if not ack.get("ok"):
                if ack.get("error") == "unavailable":
                    await asyncio.sleep(RETRY_PAUSE)  # the contract: retry the join
                    continue
                if ack.get("error") == "rate_limited":
                    # The contract: retry after the seconds the detail names.
                    await asyncio.sleep(_retry_seconds(str(ack.get("detail", ""))))
                    continue
                self.refusals.append(ack)
                return
            if ack.get("resync"):
                self.resyncs += 1
                await self._reload(board, since, ack["seq"])
            have = self.seen[board] | self.reloaded[board]
            if self.has(board) >= max(have, default=0):
                return

    async def _reload(self, board: str, after: int, upto: int) -> None:
        """What a client does on ``resync``: read the board again over REST (here, the log
        entries it is missing)."""
        while after < upto:
            async with self.http.get(
                f"api/boards/{board}/activity?afterSeq={after}&limit=500",
                headers={"Authorization": f"Bearer {self.user.token}"},
            ) as response:
                assert response.status == 200, await response.text()
                page = await response.json()
            seqs = [item["seq"] for item in page["items"] if item["seq"] <= upto]
            self.reloaded[board].update(seqs)
            if page["next"] is None or not seqs:
                return
            after = page["next"]

    async def close(self) -> None:
        for task in self._catching_up.values():
            task.cancel()
        await asyncio.gather(*self._catching_up.values(), return_exceptions=True)
        if self.sio.connected:
            await self.sio.disconnect()


async def whole_log(http: aiohttp.ClientSession, user: User, board: str) -> list[dict[str, Any]]:
    """Every entry of the board's activity log, ascending (the replay, page by page)."""
    entries: list[dict[str, Any]] = []
    after = 0
    while True:
        async with http.get(
            f"api/boards/{board}/activity?afterSeq={after}&limit=500",
            headers={"Authorization": f"Bearer {user.token}"},
        ) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        entries.extend(page["items"])
        if page["next"] is None:
            return entries
        after = page["next"]


def entry_key(entry: dict[str, Any]) -> Key | None:
    """The (type, subject id, version) an entry records, for task and list entries."""
    data = entry["data"]
    subject = data.get("taskId") or data.get("listId")
    if subject is None or not entry["type"].startswith(("task.", "list.")):
        return None
    return entry["type"], subject, data["version"]


def _retry_seconds(detail: str) -> float:
    """The wait a ``rate_limited`` join names (``... retry in N seconds.``)."""
    found = _RETRY_IN.search(detail)
    return float(found.group(1)) if found else 2.0
