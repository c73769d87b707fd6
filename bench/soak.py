"""``python -m bench.soak`` (``make soak``): a long mixed load at about 70 % of the measured
capacity, with sockets connected throughout, watching for what only time shows (leaks, queues
that do not drain, errors that come late). Not part of CI.

    python -m bench.soak                          # 30 minutes (the figures of docs/performance.md)
    python -m bench.soak --duration 180 --warmup 30 --capacity-seconds 20   # a short proof

Steps: start the suite (isolated like ``make bench``), seed boards, connect the sockets, measure
the capacity of the mix with a closed loop, then send the mix open-loop at ``--load`` of it for
``--duration`` seconds. Records per ``--bucket`` (60 s): requests, 5xx, other errors, p50/p99
(latency from each request's scheduled start, so a stall is not hidden); the RSS of every
process the stack runs (each service in services/, replicas included) after the warm-up and at
the end; the sockets still connected and what they were pushed; the depth of every queue of the
run's virtual host as the broker lists it (consumer, retry, dead-letter, parked, unrouted; the
known consumer queues with their dead-letter and parked queues on a broker that cannot list)
when the load stops and after they drain, and what the dead-letter and parked queues hold.
Writes ``bench/results/<time>-soak.json`` and prints a Markdown summary.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from bench import sio
from bench.__main__ import (
    BENCH_RATE_LIMITS,
    BENCH_REALTIME_BOUNDS,
    DEFAULT_RABBITMQ_URL,
    raise_fd_limit,
)
from bench.api import Api, User, bounded
from bench.isolation import isolated_env, list_queues, run_vhost
from bench.load import client_session
from bench.procs import rss_bytes
from bench.report import write_json
from bench.stats import percentile

# The consumer queues by the setting that names each: watched when the broker cannot list its
# queues (a remote broker without rabbitmqctl); with a virtual host of the run's own, every
# queue in it is watched, whoever declared it.
CONSUMER_QUEUES = {
    "board": ("CONSUMER_QUEUE", "board.service"),
    "task": ("PROJECTION_QUEUE", "task.projection"),
    "task-search": ("SEARCH_QUEUE", "task.search"),
    "activity": ("ACTIVITY_QUEUE", "activity.log"),
    "realtime": ("PUSH_QUEUE", "realtime.push"),
    "notification": ("NOTIFICATION_QUEUE", "notification.events"),
    "realtime-notifications": ("NOTIFICATION_PUSH_QUEUE", "realtime.notifications"),
    "webhook": ("WEBHOOK_QUEUE", "webhook.events"),
}
_SERVICE_OF = {"task-search": "task", "realtime-notifications": "realtime"}
# Queues that keep what nobody else takes (they need a person, never drain by themselves).
HELD = (".dlq", ".parked", ".unrouted")
# One cycle of the mix, 20 operations: 11 reads, 9 writes; creates and deletes balance, so a
# board stays about the same size however long the soak runs.
MIX = (
    ["board"] * 6 + ["tasks"] * 3 + ["activity"] * 2
    + ["create"] * 2 + ["rename"] * 3 + ["move"] * 2 + ["delete"] * 2
)  # fmt: skip
POOL_FLOOR = 10  # a delete leaves at least this many soak tasks on a board (else it renames)


def step(n: int, boards: int) -> tuple[str, int]:
    """Operation ``n``'s kind and board: whole cycles of the mix go to one board in turn, so
    every board gets as many creates as deletes (a board picked by ``n`` alone ties each kind
    to some boards: with 4, one board only had tasks created and grew without end)."""
    return MIX[n % len(MIX)], (n // len(MIX)) % boards


def say(message: str) -> None:
    print(f"soak  | {message}", file=sys.stderr, flush=True)


@dataclass
class Board:
    id: str
    lists: list[str]
    tasks: list[str]


@dataclass
class Record:
    """Latencies and outcomes of the open-loop phase, by time bucket."""

    bucket: float
    latencies: dict[int, list[float]] = field(default_factory=dict)
    outcomes: dict[int, Counter[str]] = field(default_factory=dict)

    def add(self, at: float, latency: float, outcome: str) -> None:
        index = int(at // self.bucket)
        self.latencies.setdefault(index, []).append(latency)
        self.outcomes.setdefault(index, Counter())[outcome] += 1

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for index in sorted(self.outcomes):
            ordered = sorted(self.latencies.get(index, []))
            outcomes = self.outcomes[index]
            rows.append(
                {
                    "from_s": int(index * self.bucket),
                    "requests": sum(outcomes.values()),
                    "5xx": sum(n for kind, n in outcomes.items() if kind.startswith("5")),
                    "5xx_by_status": {
                        kind: n for kind, n in outcomes.items() if kind.startswith("5")
                    },
                    "other_errors": {
                        kind: n for kind, n in outcomes.items() if not kind.startswith(("2", "5"))
                    },
                    "p50_ms": round(1000 * percentile(ordered, 0.5), 1),
                    "p99_ms": round(1000 * percentile(ordered, 0.99), 1),
                    "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
                }
            )
        return rows


class Mix:
    """The operations of the soak on the seeded boards, through the gateway."""

    def __init__(self, api: Api, users: list[User], boards: list[Board]) -> None:
        self.api = api
        self.users = users
        self.boards = boards
        self.random = random.Random(7)  # noqa: S311 - picks tasks, not secrets
        self.counter = itertools.count()

    async def _send(self, method: str, path: str, user: User, body: Any = None) -> tuple[str, Any]:
        async with self.api.session.request(
            method, self.api.base + path, json=body, headers=user.headers
        ) as response:
            payload = await response.json(content_type=None) if response.status != 204 else None
            return str(response.status), payload

    async def one(self, n: int) -> str:
        """Run operation ``n`` of the mix; its status code as a string."""
        kind, index = step(n, len(self.boards))
        board = self.boards[index]
        user = self.users[n % len(self.users)]
        pick = self.random.choice
        if kind == "board":
            return (await self._send("GET", f"/api/boards/{board.id}", user))[0]
        if kind == "tasks":
            return (await self._send("GET", f"/api/boards/{board.id}/tasks?limit=50", user))[0]
        if kind == "activity":
            return (await self._send("GET", f"/api/boards/{board.id}/activity?limit=20", user))[0]
        if kind == "delete" and len(board.tasks) > POOL_FLOOR:
            task = board.tasks.pop(0)  # out of the pool first: no one else writes it meanwhile
            # Only an archived task can be deleted for good: archive, then delete.
            archived = (await self._send("POST", f"/api/tasks/{task}/archive", user))[0]
            if archived != "200":
                return archived
            return (await self._send("DELETE", f"/api/tasks/{task}", user))[0]
        if kind == "create":
            status, made = await self._send(
                "POST",
                f"/api/boards/{board.id}/tasks",
                user,
                {"listId": pick(board.lists), "title": f"soak {next(self.counter)}"},
            )
            if status == "201":
                board.tasks.append(made["id"])
            return status
        if kind == "move" and board.tasks:
            body = {"listId": pick(board.lists)}
            path = f"/api/tasks/{pick(board.tasks)}/move"
            return (await self._send("POST", path, user, body))[0]
        task = pick(board.tasks)
        body = {"title": f"soak {next(self.counter)}"}
        return (await self._send("PATCH", f"/api/tasks/{task}", user, body))[0]


async def seed(api: Api, boards: int, members: int, tasks: int) -> tuple[list[User], list[Board]]:
    owner = await api.register_login("soak-owner")
    people = await bounded(4, [api.register_login(f"soak-m{i}") for i in range(members)])
    made: list[Board] = []
    for index in range(boards):
        board = await api.board(owner, f"Soak {index}")
        for member in people:
            await api.add_member(owner, board, member, "editor")
        lists = [await api.list(owner, board, f"List {i}") for i in range(3)]
        ids = await bounded(
            8, [api.task(owner, board, lists[i % 3], f"Seed {i}") for i in range(tasks)]
        )
        made.append(Board(board, lists, list(ids)))
    return [owner, *people], made


async def capacity(
    mix: Mix,
    concurrency: int,
    seconds: float,
    broker_url: str,
    queues: dict[str, str],
    vhost: str | None = None,
) -> tuple[float, float]:
    """Operations per second of the mix answered 2xx: sustained (counting the time the event
    consumers then need to empty their queues, the work a write leaves behind) and HTTP only
    (the closed loop's own rate, which a soak at 70 % of would outrun the consumers)."""
    stop_at = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            try:
                status = await mix.one(next(mix.counter))
            except (aiohttp.ClientError, TimeoutError):
                continue
            done += status.startswith("2")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    answered = time.perf_counter()
    await drained(broker_url, queues, within=300.0, vhost=vhost)
    consumed = time.perf_counter()
    return done / (consumed - began), done / (answered - began)


async def open_loop(
    mix: Mix,
    rate: float,
    duration: float,
    record: Record,
    *,
    in_flight_cap: int,
    at_warmup: Callable[[], Awaitable[None]],
    warmup: float,
) -> int:
    """Start operations at ``rate`` per second for ``duration`` seconds; returns how many
    could not start because ``in_flight_cap`` were still running (the suite fell behind)."""
    interval = 1.0 / rate
    began = time.perf_counter()
    running: set[asyncio.Task[None]] = set()
    skipped = 0
    warm = asyncio.create_task(_after(warmup, at_warmup))

    async def one(n: int, scheduled: float) -> None:
        try:
            outcome = await mix.one(n)
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
        record.add(scheduled - began, time.perf_counter() - scheduled, outcome)

    for n in itertools.count():
        scheduled = began + n * interval
        if scheduled - began >= duration:
            break
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # the open loop's schedule
        if len(running) >= in_flight_cap:
            skipped += 1
            continue
        task = asyncio.create_task(one(n, scheduled))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    await warm
    return skipped


def token_lifetime(token: str) -> float:
    """Seconds between a JWT's ``iat`` and ``exp`` (read, not verified: it is our own)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"]) - float(claims["iat"])


async def keep_tokens_fresh(api: Api, users: list[User]) -> None:
    """Log every user in again at two thirds of an access token's lifetime, as a client
    refreshes its session: a soak outlasts the tokens (15 minutes by default), and a mix
    answered 401 measures nothing."""
    every = 2 * token_lifetime(users[0].token) / 3
    while True:
        await asyncio.sleep(every)  # the tokens' schedule, not a wait for a condition
        for user in users:
            user.token = await api.login(user.email)


async def _after(seconds: float, action: Callable[[], Awaitable[None]]) -> None:
    await asyncio.sleep(seconds)  # a point in the soak's timeline, not a wait for a condition
    await action()


def rss_mb(pids: dict[str, int]) -> dict[str, float]:
    return {name: round(rss_bytes(pid) / 2**20, 1) for name, pid in pids.items()}


def watched(names: dict[str, str]) -> dict[str, str]:
    """Label -> queue of what to watch on a broker that cannot list its queues: each known
    consumer queue with its dead-letter and parked queues."""
    labels: dict[str, str] = {}
    for service, queue in names.items():
        labels[service] = queue
        labels[f"{service}.dlq"] = f"{queue}.dlq"
        labels[f"{service}.parked"] = f"{queue}.parked"
    return labels


async def queue_state(
    url: str, names: dict[str, str], peek: int = 5, vhost: str | None = None
) -> dict[str, Any]:
    """Ready messages in every queue of the run's virtual host as the broker lists them
    (``rabbitmqctl list_queues``), else in each queue of :func:`watched`; the first few
    messages' event types in a dead-letter or parked queue that is not empty. A parked queue
    that does not exist (nothing was parked yet) is left out."""
    listing = list_queues(vhost) if vhost is not None else None
    state: dict[str, Any] = {}
    connection = await aio_pika.connect_robust(url)
    async with connection:
        if listing is not None:
            # The broker's own count: private queues (the publishers' exclusive taps) cannot be
            # declared from here, and need not be.
            targets = {name: name for name in sorted(listing)}
        else:
            targets = watched(names)
        for label, name in targets.items():
            channel = await connection.channel()
            try:
                if listing is not None:
                    depth = listing[name]
                else:
                    underlay = await channel.get_underlay_channel()
                    declared = await underlay.queue_declare(name, passive=True)
                    depth = int(declared.message_count or 0)
                state[label] = {"depth": depth}
                if label.endswith((".dlq", ".parked")) and depth:
                    state[label]["types"] = await _peek(channel, name, peek)
            except CONNECTION_EXCEPTIONS as exc:
                if not label.endswith(".parked"):
                    state[label] = {"depth": None, "error": type(exc).__name__}
            finally:
                if not channel.is_closed:
                    await channel.close()
    return state


async def _peek(channel: aio_pika.abc.AbstractChannel, name: str, count: int) -> list[str]:
    queue = await channel.get_queue(name, ensure=False)
    seen: list[str] = []
    taken = []
    for _ in range(count):
        message = await queue.get(fail=False, no_ack=False)
        if message is None:
            break
        taken.append(message)
        seen.append(str(message.routing_key))
    for message in taken:
        await message.reject(requeue=True)
    return seen


def flowing(state: dict[str, Any]) -> bool:
    """Whether every queue that drains by itself (consumer and retry queues) is empty."""
    return all(v["depth"] == 0 for k, v in state.items() if not k.endswith(HELD))


def held_messages(state: dict[str, Any]) -> int:
    """Messages in dead-letter and parked queues (the soak's goal: none)."""
    return sum(v["depth"] or 0 for k, v in state.items() if k.endswith((".dlq", ".parked")))


async def drained(
    url: str, names: dict[str, str], within: float, vhost: str | None = None
) -> dict[str, Any]:
    """The queue state once every queue that drains is empty (or ``within`` seconds passed)."""
    deadline = time.perf_counter() + within
    while True:
        state = await queue_state(url, names, vhost=vhost)
        if flowing(state) or time.perf_counter() > deadline:
            return state
        await asyncio.sleep(1.0)  # polling the broker for the condition, once a second


async def connect_sockets(
    session: aiohttp.ClientSession, url: str, users: list[User], boards: list[Board], count: int
) -> tuple[list[sio.BenchSocket], Counter[str]]:
    pushes: Counter[str] = Counter()

    def on_event(payload: Any, _arrived: float) -> None:
        pushes[str(payload.get("type"))] += 1

    sockets = []
    for index in range(count):
        user = users[1 + index % (len(users) - 1)]
        socket = await sio.connect(session, url, user.token, on_event)
        ack = await socket.call("board:join", {"boardId": boards[index % len(boards)].id})
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        sockets.append(socket)
    return sockets, pushes


def still_connected(sockets: list[sio.BenchSocket]) -> int:
    return sum(1 for s in sockets if s._reader is not None and not s._reader.done())


def summary(result: dict[str, Any]) -> str:
    """Markdown tables of the figures, as docs/performance.md shows them."""
    lines = [
        f"capacity {result['capacity_ops']} ops/s sustained ({result['capacity_http_ops']} "
        f"answered; closed loop, {result['options']['concurrency']} workers); soak at "
        f"{result['rate_ops']} ops/s for {result['options']['duration']:g}s;"
        f" 5xx: {result['5xx']}; not started (in-flight cap): {result['skipped']}",
        "",
        "| from (s) | requests | 5xx | other errors | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["buckets"]:
        others = ", ".join(f"{k}: {v}" for k, v in row["other_errors"].items()) or "0"
        failed = ", ".join(f"{k}: {v}" for k, v in row.get("5xx_by_status", {}).items()) or "0"
        lines.append(
            f"| {row['from_s']} | {row['requests']} | {failed} | {others} | "
            f"{row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} |"
        )
    lines += [
        "",
        "| process | RSS after warm-up (MB) | at the end (MB) | growth |",
        "|---|---|---|---|",
    ]
    for name, before in result["rss_after_warmup_mb"].items():
        after = result["rss_end_mb"].get(name)
        growth = f"{100 * (after - before) / before:+.1f} %" if after and before else "?"
        lines.append(f"| {name} | {before} | {after} | {growth} |")
    sockets = result["sockets"]
    lines += [
        "",
        f"sockets: {sockets['still_connected']} of {sockets['opened']} connected at the end; "
        f"pushes received: {sockets['pushes']}",
        "queues when the load stopped: "
        + ", ".join(f"{k} {v['depth']}" for k, v in result["queues_at_stop"].items()),
        f"queues after draining ({result['drain_seconds']}s): "
        + ", ".join(f"{k} {v['depth']}" for k, v in result["queues_drained"].items()),
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds (default 30 min)")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds before the first RSS")
    parser.add_argument("--load", type=float, default=0.7, help="fraction of capacity (0.7)")
    parser.add_argument("--rate", type=float, help="ops/s instead of measuring the capacity")
    parser.add_argument("--capacity-seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16, help="capacity workers (16)")
    parser.add_argument("--in-flight", type=int, default=256, help="open-loop cap (256)")
    parser.add_argument("--bucket", type=float, default=60.0, help="seconds per row (60)")
    parser.add_argument("--sockets", type=int, default=100, help="sockets connected (100)")
    parser.add_argument("--boards", type=int, default=4)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=30, help="seeded tasks per board (30)")
    parser.add_argument(
        "--token-ttl", type=int, default=900, help="access-token lifetime, seconds (900)"
    )
    parser.add_argument("--label", default="soak")
    parser.add_argument("--results-dir", type=Path)
    return parser.parse_args(argv)


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    from hintro_devtools.stack import Stack
    from hintro_devtools.workspace import repo_root

    run_id = f"soak_{uuid.uuid4().hex[:8]}"
    rabbitmq_url = os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    with tempfile.TemporaryDirectory() as keys, isolated_env(run_id, rabbitmq_url) as isolation:
        service_env: dict[str, dict[str, str]] = {
            "auth": {
                "JWT_KEY_FILE": str(Path(keys) / "jwt-signing.pem"),
                "ACCESS_TOKEN_TTL_SECONDS": str(args.token_ttl),
            },
            "gateway": {**BENCH_RATE_LIMITS, "RATE_LIMIT_PREFIX": f"hintro:rl:{run_id}:"},
            "realtime": dict(BENCH_REALTIME_BOUNDS),
        }
        # Every process of the stack (whatever services/ holds) gets the run's isolation.
        for service, values in isolation.items():
            if service != "all":
                service_env.setdefault(service, {}).update(values)
        broker_url = isolation["all"].get("RABBITMQ_URL", rabbitmq_url)
        queues = {
            label: service_env.get(_SERVICE_OF.get(label, label), {}).get(setting, default)
            for label, (setting, default) in CONSUMER_QUEUES.items()
        }
        async with Stack(
            profile="test",
            free_ports=True,
            replicas={"realtime": 2},
            mongo_db_suffix=run_id,
            env=isolation.get("all", {}),
            service_env=service_env,
            echo=False,
            log_path=repo_root() / ".run" / "bench" / "soak.log",
        ) as stack:
            say("stack ready (logs: .run/bench/soak.log)")
            # Every process the stack runs, replicas included: a service added later is
            # watched without touching this file.
            pids = {name: running.process.pid for name, running in stack.running.items()}
            vhost = run_vhost(isolation)
            return await _drive(args, stack.gateway_url, pids, broker_url, queues, vhost)


async def _drive(
    args: argparse.Namespace,
    gateway: str,
    pids: dict[str, int],
    broker_url: str,
    queues: dict[str, str],
    vhost: str | None,
) -> dict[str, Any]:
    session = client_session(max(256, args.in_flight))
    socket_session = client_session(args.sockets + 8)
    async with session, socket_session:
        api = Api(session, gateway)
        users, boards = await seed(api, args.boards, args.members, args.tasks)
        mix = Mix(api, users[1:], boards)
        sockets, pushes = await connect_sockets(
            socket_session, gateway, users, boards, args.sockets
        )
        say(f"seeded {len(boards)} boards, {len(users)} users; {len(sockets)} sockets joined")
        measured: float | None = None
        http_only: float | None = None
        if args.rate:
            rate = args.rate
        else:
            measured, http_only = await capacity(
                mix, args.concurrency, args.capacity_seconds, broker_url, queues, vhost
            )
            rate = args.load * measured
            say(
                f"capacity {measured:.1f} ops/s sustained ({http_only:.1f} answered, before "
                f"the consumers caught up): soaking at {rate:.1f} ops/s"
            )
        record = Record(args.bucket)
        rss: dict[str, dict[str, float]] = {}
        renewing = asyncio.create_task(keep_tokens_fresh(api, users))

        async def at_warmup() -> None:
            rss["after_warmup"] = rss_mb(pids)
            say(f"RSS after warm-up (MB): {rss['after_warmup']}")

        skipped = await open_loop(
            mix,
            rate,
            args.duration,
            record,
            in_flight_cap=args.in_flight,
            at_warmup=at_warmup,
            warmup=min(args.warmup, args.duration),
        )
        renewing.cancel()
        rss["end"] = rss_mb(pids)
        at_stop = await queue_state(broker_url, queues, vhost=vhost)
        stopped = time.perf_counter()
        after = await drained(broker_url, queues, within=300.0, vhost=vhost)
        drain_seconds = time.perf_counter() - stopped
        connected = still_connected(sockets)
        for socket in sockets:
            await socket.close()
    buckets = record.rows()
    return {
        "options": vars(args) | {"results_dir": None},
        "capacity_ops": measured and round(measured, 1),
        "capacity_http_ops": http_only and round(http_only, 1),
        "drain_seconds": round(drain_seconds, 1),
        "rate_ops": round(rate, 1),
        "skipped": skipped,
        "5xx": sum(row["5xx"] for row in buckets),
        "buckets": buckets,
        "rss_after_warmup_mb": rss.get("after_warmup", {}),
        "rss_end_mb": rss["end"],
        "sockets": {
            "opened": len(sockets),
            "still_connected": connected,
            "pushes": sum(pushes.values()),
            "pushes_by_type": dict(pushes),
        },
        "queues_at_stop": at_stop,
        "queues_drained": after,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    raise_fd_limit()
    load_before = os.getloadavg()
    result = asyncio.run(soak(args))
    meta = {
        "label": args.label,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "argv": sys.argv[1:] if argv is None else argv,
    }
    path = write_json({"soak": result}, meta, *([args.results_dir] if args.results_dir else []))
    print(summary(result))
    say(f"figures written to {path}")
    return 1 if result["5xx"] or held_messages(result["queues_drained"]) else 0


if __name__ == "__main__":
    sys.exit(main())
