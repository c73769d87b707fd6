"""The one command line behind the Makefile: ``python -m hintro_devtools COMMAND ...``.

``run`` (``make run``) runs the stack until Ctrl-C or SIGTERM and exits 0, or exits 1 when it
cannot start or a service crashes too often (a service that dies is restarted with backoff,
:mod:`hintro_devtools.restarts`). ``infra``::

    up   [--for run|test]            ensure the infrastructure, print KEY=value lines; the
                                     embedded nx-27017 it starts keeps running
    down [--for run|test]            stop the nx-27017 that `up` started
    exec [--for run|test] -- CMD ... ensure, run CMD with the variables, stop what was started
                                     (always), exit with CMD's code (``make test``)

``openapi [--check]`` (``make openapi``) rewrites the generated API documents
(:mod:`hintro_devtools.apidocs`). ``web build|test|chromium`` builds and tests the web app
(:mod:`hintro_devtools.web`; ``make run``, ``make test``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from hintro_devtools.apidocs import openapi_main
from hintro_devtools.infra import PROFILES, InfraError, ensure_infra, say
from hintro_devtools.mongo import stop_detached
from hintro_devtools.restarts import RestartPolicy
from hintro_devtools.services import SERVICES, ServiceSpec
from hintro_devtools.stack import Stack
from hintro_devtools.web import main as web_main
from hintro_devtools.workspace import repo_root

INFRA_USAGE = __doc__.split("::", 1)[1]
SIGNAL_ECHO_SECONDS = 1.0


def _pairs(values: list[str], what: str) -> dict[str, int]:
    parsed: dict[str, int] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not number.isdigit():
            raise SystemExit(f"{what} takes NAME=NUMBER, got {value!r}")
        parsed[name] = int(number)
    return parsed


async def run_cli(args: argparse.Namespace, services: Sequence[ServiceSpec] = SERVICES) -> int:
    """Run the stack until a signal (exit 0) or until an instance crashes too often, or dies
    at all with ``--no-restart`` (exit 1)."""
    stack = Stack(
        profile=args.profile,
        services=services,
        only=args.only.split(",") if args.only else None,
        ports=_pairs(args.port, "--port"),
        replicas=_pairs(args.replicas, "--replicas"),
        ready_timeout=args.ready_timeout,
        start_infra=not args.no_infra,
    )
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()

    first_signal_at: list[float] = []

    def on_signal() -> None:
        now = loop.time()
        if not first_signal_at:
            first_signal_at.append(now)
            stack.say("stopping (Ctrl-C again to kill at once)")
            stop_requested.set()
        # `uv run` forwards the terminal's signal to us, which got it already: one Ctrl-C
        # arrives twice within milliseconds. Only a later one means "kill now".
        elif now - first_signal_at[0] > SIGNAL_ECHO_SECONDS:
            stack.kill_now()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal)
    stop_wait = asyncio.create_task(stop_requested.wait())
    starting = asyncio.create_task(stack.start())
    await asyncio.wait({starting, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()  # start() stops what it began
        await asyncio.gather(starting, return_exceptions=True)
        return 0
    if (error := starting.exception()) is not None:
        stack.say(f"error: {error}")
        return 1
    stack.say("Ctrl-C stops everything")
    policy = None if args.no_restart else restart_policy(args)
    supervising = asyncio.create_task(stack.supervise(policy))
    await asyncio.wait({supervising, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if supervising.done() and (error := supervising.exception()) is not None:
        stack.say(f"error: {error}")
        code = 1
    supervising.cancel()
    stop_wait.cancel()
    await stack.stop()
    return code


def restart_policy(args: argparse.Namespace) -> RestartPolicy:
    """The restart policy the ``run`` options describe."""
    try:
        return RestartPolicy(
            max_crashes=args.max_crashes,
            window_seconds=args.crash_window,
            first_delay=args.restart_delay,
            max_delay=max(args.restart_delay, RestartPolicy.max_delay),
        )
    except ValueError as exc:
        raise SystemExit(f"invalid restart options: {exc}") from exc


def parse_run_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``python -m hintro_devtools run``."""
    parser = argparse.ArgumentParser(
        prog="python -m hintro_devtools run",
        description="Run the Hintro stack until Ctrl-C (make run).",
    )
    parser.add_argument("--for", dest="profile", choices=sorted(PROFILES), default="run")
    parser.add_argument("--only", help="comma-separated services to start (default: all)")
    parser.add_argument("--port", action="append", default=[], help="NAME=PORT (repeatable)")
    parser.add_argument("--replicas", action="append", default=[], help="NAME=N (repeatable)")
    parser.add_argument("--ready-timeout", type=float, default=60.0)
    parser.add_argument(
        "--no-infra",
        action="store_true",
        help="start no infrastructure; use MONGO_URL, RABBITMQ_URL, REDIS_URL as they are",
    )
    restarts = parser.add_argument_group(
        "restarts", "a service that dies is restarted with exponential backoff"
    )
    restarts.add_argument(
        "--max-crashes",
        type=int,
        default=RestartPolicy.max_crashes,
        help="this many crashes of one service within --crash-window stop the stack "
        "(default %(default)s)",
    )
    restarts.add_argument(
        "--crash-window", type=float, default=RestartPolicy.window_seconds, help="seconds"
    )
    restarts.add_argument(
        "--restart-delay",
        type=float,
        default=RestartPolicy.first_delay,
        help="seconds before the first restart; doubles per recent crash (default %(default)s)",
    )
    restarts.add_argument(
        "--no-restart", action="store_true", help="stop the stack when any service dies"
    )
    return parser.parse_args(argv)


def run_main(argv: list[str]) -> int:
    """``python -m hintro_devtools run`` (``make run``)."""
    return asyncio.run(run_cli(parse_run_args(argv)))


def _exec(profile: str, command: list[str]) -> int:
    """Run ``command`` with the infrastructure's variables; stop what we started afterwards,
    whatever happened; return the command's exit code."""
    if command and command[0] in {"python", "python3"}:
        # The project's interpreter, not whichever `python` PATH finds first.
        command = [sys.executable, *command[1:]]
    infra = ensure_infra(profile)
    try:
        child_env = {**os.environ, **infra.env(), "ENVIRONMENT": PROFILES[profile].environment}
        child = subprocess.Popen(command, env=child_env)  # noqa: S603 - the user's command

        def forward(signum: int, _frame: FrameType | None) -> None:
            # The child shares our terminal (it gets Ctrl-C itself); SIGTERM/SIGHUP we pass on.
            if signum != signal.SIGINT:
                child.send_signal(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, forward)
        code = child.wait()
        return 128 - code if code < 0 else code
    finally:
        infra.stop()


def infra_main(argv: list[str]) -> int:
    """``python -m hintro_devtools infra`` (``make test`` runs ``infra exec``)."""
    parser = argparse.ArgumentParser(
        prog="python -m hintro_devtools infra",
        description=INFRA_USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["up", "down", "exec"])
    parser.add_argument("--for", dest="profile", choices=sorted(PROFILES), default="run")
    # Everything after `--` is the command, options included (argparse would take `--for`).
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if command and args.action != "exec":
        parser.error(f"{args.action} takes no command")
    try:
        if args.action == "up":
            infra = ensure_infra(args.profile, detach=True)
            for key, value in infra.env().items():
                print(f"{key}={shlex.quote(value)}")
            return 0
        if args.action == "down":
            pid = stop_detached(repo_root() / PROFILES[args.profile].mongo_dir)
            say(f"stopped nx-27017 (pid {pid})" if pid else "no nx-27017 of ours was running")
            return 0
        if not command:
            parser.error("exec needs a command: exec [--for test] -- CMD ...")
        return _exec(args.profile, command)
    except InfraError as exc:
        print(f"infra   | error: {exc}", file=sys.stderr)
        return 1


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "run": (run_main, "run the whole stack until Ctrl-C (make run)"),
    "infra": (infra_main, "up | down | exec -- CMD: the infrastructure alone (make test)"),
    "openapi": (openapi_main, "regenerate the OpenAPI and AsyncAPI documents (make openapi)"),
    "web": (web_main, "build | test | chromium: the web app (make run, make test)"),
}


def main(argv: list[str] | None = None) -> int:
    """``python -m hintro_devtools COMMAND [options]``; ``COMMAND --help`` for its options."""
    argv = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m hintro_devtools COMMAND [options]\n\ncommands:\n" + "".join(
        f"  {name:<8} {summary}\n" for name, (_, summary) in COMMANDS.items()
    )
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"{usage}\nerror: unknown command {command!r}", file=sys.stderr)
        return 2
    # Each command parses its own options: `infra exec` passes everything after `--` through.
    return COMMANDS[command][0](rest)
