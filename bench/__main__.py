"""``python -m bench`` (``make bench``): start the suite (or use a running one), seed, run the
scenarios, print the table, write ``bench/results/<time>.json`` and ``latest.json``.

    python -m bench                      # full run, ~3-4 minutes
    python -m bench --quick              # seconds per scenario: proves it works (CI)
    python -m bench --duration 30 --concurrency 128 --scenarios 1,2,3
    python -m bench --url http://127.0.0.1:8080   # a suite already running (make run)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.isolation import isolated_env
from bench.procs import pid_listening_on
from bench.report import table, write_json
from bench.scenarios import Bench, Options, Target, run_all

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
ALL = ("1", "2", "3", "4", "5", "6", "7", "8")
# The limiter stays on and counts every request; only the quotas are raised so the benchmark's
# few users are not throttled by their own load.
BENCH_RATE_LIMITS = {
    "RATE_LIMIT_ENABLED": "true",
    "RATE_LIMIT_DEFAULT": "1000000000/60",
    "RATE_LIMIT_AUTH_IP": "1000000/60",
    "RATE_LIMIT_AUTH_EMAIL_IP": "1000000/60",
    "RATE_LIMIT_AUTH_EMAIL": "1000000/60",
    "RATE_LIMIT_SOCKETIO": "1000000000/60",
    "RATE_LIMIT_USER_LOOKUP": "1000000000/60",
}

# Every benchmark socket comes from this one machine (one client address), and a scenario holds
# 10,000 of them: the realtime bounds meant for many clients are raised the same way.
BENCH_REALTIME_BOUNDS = {
    "MAX_SOCKETS": "1000000",
    "MAX_SOCKETS_PER_ADDRESS": "1000000",
    "JOIN_BURST": "1000000",
}


def say(message: str) -> None:
    print(f"bench | {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run that proves it works")
    parser.add_argument("--duration", type=float, help="seconds per load phase (default 15)")
    parser.add_argument("--concurrency", type=int, help="connections for reads (default 64)")
    parser.add_argument("--write-concurrency", type=int, help="writers (default 32)")
    parser.add_argument("--sockets", type=int, help="member sockets of scenario 4 (1000)")
    parser.add_argument("--event-boards", type=int, help="boards those sockets spread over (50)")
    parser.add_argument("--event-rate", type=float, help="writes/s in scenario 4 (200)")
    parser.add_argument(
        "--event-rate-low", type=float, help="scenario 4's first, unsaturated phase (20; 0: none)"
    )
    parser.add_argument("--idle-sockets", type=int, help="sockets of scenario 5 (10000)")
    parser.add_argument("--big-tasks", type=int, help="tasks of scenario 7's board (5000)")
    parser.add_argument("--big-lists", type=int, help="lists of scenario 7's board (100)")
    parser.add_argument("--search-tasks", type=int, help="tasks scenario 8 searches (50000)")
    parser.add_argument("--search-boards", type=int, help="boards they spread over (200)")
    parser.add_argument("--search-concurrency", type=int, help="scenario 8's clients (8)")
    parser.add_argument(
        "--search-rate", type=float, help="scenario 8's open-loop searches/s (20; the target's)"
    )
    parser.add_argument("--scenarios", default=",".join(ALL), help="comma list, e.g. 1,2,3")
    parser.add_argument("--no-wrk", action="store_true", help="asyncio generator for 1, 2, 6")
    parser.add_argument("--url", help="gateway of a running suite (else one is started)")
    parser.add_argument("--board-url", default="http://127.0.0.1:8002", help="with --url")
    parser.add_argument("--realtime-url", default="http://127.0.0.1:8005", help="with --url")
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="SERVICE:NAME=VALUE",
        help="extra environment for a started service (repeatable; 'all' for every one)",
    )
    parser.add_argument("--label", default="", help="suffix of the result file name")
    parser.add_argument("--results-dir", type=Path, help="where the JSON goes (bench/results)")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> Options:
    options = Options.quick() if args.quick else Options()
    for name, attr in (
        ("duration", "duration"),
        ("concurrency", "concurrency"),
        ("write_concurrency", "write_concurrency"),
        ("sockets", "event_sockets"),
        ("event_boards", "event_boards"),
        ("event_rate", "event_rate"),
        ("event_rate_low", "event_rate_low"),
        ("idle_sockets", "idle_sockets"),
        ("big_tasks", "big_tasks"),
        ("big_lists", "big_lists"),
        ("search_tasks", "search_tasks"),
        ("search_boards", "search_boards"),
        ("search_concurrency", "search_concurrency"),
        ("search_rate", "search_rate"),
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(options, attr, value)
    options.use_wrk = not args.no_wrk
    return options


def infra_pids(stack: Any) -> dict[str, int]:
    """The MongoDB stand-in, Redis and RabbitMQ processes (shared with any other stack on the
    machine, so their CPU figures include that work too)."""
    pids: dict[str, int] = {}
    mongo = stack.infra.mongo if stack.infra is not None else None
    if mongo is not None and mongo.process is not None:
        pids["mongo"] = mongo.process.pid
    for name, port in (("redis", 6379), ("rabbitmq", 5672)):
        pid = pid_listening_on(port)
        if pid is not None:
            pids[name] = pid
    return pids


def raise_fd_limit() -> None:
    """10,000 sockets need more descriptors than the usual soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # SIGTERM (timeout, CI cancelling) cancels the run, so the stack it started is stopped.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    options = options_from(args)
    which = {part.strip() for part in args.scenarios.split(",") if part.strip()}
    results: dict[str, dict[str, Any]]
    if args.url:
        target = Target(args.url.rstrip("/"), args.board_url.rstrip("/"), args.realtime_url)
        for name, url in (
            ("gateway", target.gateway_url),
            ("board", target.board_url),
            ("realtime", target.realtime_url),
        ):
            pid = pid_listening_on(urlsplit(url).port or 80)
            if pid is not None:
                target.pids[name] = pid
        async with Bench(target, options, say) as bench:
            await run_all(bench, which)
            results = bench.results
        return {"results": results, "stack": "existing", "options": vars(options)}

    from hintro_devtools.stack import Stack
    from hintro_devtools.workspace import repo_root

    run_id = f"bench_{uuid.uuid4().hex[:8]}"
    extra: dict[str, dict[str, str]] = {}
    for item in args.service_env:
        service, _, assignment = item.partition(":")
        name, _, value = assignment.partition("=")
        extra.setdefault(service, {})[name] = value
    rabbitmq_url = os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    with tempfile.TemporaryDirectory() as keys, isolated_env(run_id, rabbitmq_url) as isolation:
        service_env: dict[str, dict[str, str]] = {
            "auth": {"JWT_KEY_FILE": str(Path(keys) / "jwt-signing.pem")},
            "gateway": {**BENCH_RATE_LIMITS, "RATE_LIMIT_PREFIX": f"hintro:rl:{run_id}:"},
            "realtime": dict(BENCH_REALTIME_BOUNDS),
        }
        services = ("gateway", "auth", "board", "task", "activity", "realtime")
        for service in services:
            for overlay in (isolation, extra):
                service_env.setdefault(service, {}).update(overlay.get("all", {}))
                service_env[service].update(overlay.get(service, {}))
        began = time.perf_counter()
        async with Stack(
            profile="test",
            free_ports=True,
            replicas={"realtime": 2},
            mongo_db_suffix=run_id,
            service_env=service_env,
            echo=False,
            log_path=repo_root() / ".run" / "bench" / "stack.log",
            # A loaded shared machine starts the suite slowly; the default 60 s is for tests.
            ready_timeout=180.0,
        ) as stack:
            say(f"stack ready in {time.perf_counter() - began:.1f}s (logs: .run/bench/stack.log)")
            target = Target(
                stack.gateway_url,
                stack.url("board"),
                stack.url("realtime"),
                pids={
                    name: stack.running[name].process.pid
                    for name in ("gateway", "auth", "board", "task", "activity", "realtime")
                },
            )
            target.pids.update(infra_pids(stack))
            task_db = stack.mongo_db("task")
            if task_db and stack.infra_env.get("MONGO_URL"):
                target.task_mongo = (stack.infra_env["MONGO_URL"], task_db)
            async with Bench(target, options, say) as bench:
                await run_all(bench, which)
                results = bench.results
    return {"results": results, "stack": "started", "options": vars(options)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    raise_fd_limit()
    load_before = os.getloadavg()
    outcome = asyncio.run(run(args))
    results = outcome["results"]
    meta = {
        "quick": args.quick,
        "stack": outcome["stack"],
        "options": outcome["options"],
        "label": args.label,
        # Other work on the machine skews every figure: the 1-minute load average before and
        # after the run tells whether the two cores were the benchmark's alone.
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "argv": sys.argv[1:] if argv is None else argv,
    }
    path = write_json(results, meta, *([args.results_dir] if args.results_dir else []))
    print(table(results))
    say(f"figures written to {path}")
    failed = [key for key, value in results.items() if "failed" in value]
    if failed:
        say(f"scenarios that did not run to the end: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
