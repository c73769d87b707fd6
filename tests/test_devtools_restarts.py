"""The supervisor of `make run` restarts a service that dies, with backoff, and gives up on a
crash loop: the policy as pure logic, then real processes killed or crashing on their own."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest

from hintro_devtools.ports import free_port
from hintro_devtools.restarts import CrashHistory, RestartPolicy, how_it_ended
from hintro_devtools.services import ServiceSpec
from hintro_devtools.stack import StackError
from hintro_testkit.infra import wait_for
from tests.test_devtools_stack import FAKE_INFRA, FAKE_SERVICE, fake_stack

# Answers /readyz once, then crashes with exit code 3, every time it is started.
CRASHING_SERVICE = textwrap.dedent(
    """
    import asyncio, os
    from aiohttp import web

    print("about to crash", flush=True)

    async def readyz(request):
        asyncio.get_running_loop().call_later(0.2, os._exit, 3)
        return web.json_response({"status": "ready"})

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    web.run_app(app, host=os.environ["HOST"], port=int(os.environ["PORT"]), print=None)
    """
)
QUICK = RestartPolicy(max_crashes=3, window_seconds=60, first_delay=0.05, max_delay=0.2)


@pytest.fixture(scope="module")
def fake_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fake")
    (directory / "fake_service.py").write_text(FAKE_SERVICE)
    (directory / "crashing_service.py").write_text(CRASHING_SERVICE)
    return directory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_doubles_per_recent_crash_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay=0.5, max_delay=8.0)
    assert [policy.delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_only_crashes_within_the_window_count_and_the_limit_gives_up() -> None:
    clock = Clock()
    history = CrashHistory(RestartPolicy(max_crashes=3, window_seconds=10), clock)
    assert history.record() == 1
    clock.now += 4
    assert history.record() == 2
    assert not history.gives_up(2)
    clock.now += 7  # the first crash is now 11 s old: out of the window
    assert history.record() == 2
    clock.now += 1
    assert history.record() == 3
    assert history.gives_up(3)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_crashes": 0}, "max_crashes"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"first_delay": 9.0, "max_delay": 1.0}, "max_delay"),
    ],
)
def test_a_nonsensical_policy_is_refused(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RestartPolicy(**settings)  # type: ignore[arg-type]


def test_exit_codes_and_signals_are_told_apart() -> None:
    assert how_it_ended(3) == "exited with code 3"
    assert how_it_ended(0) == "exited with code 0"
    assert how_it_ended(-9) == "was killed by SIGKILL (signal 9)"
    assert how_it_ended(-15) == "was killed by SIGTERM (signal 15)"


async def readyz(url: str) -> bool:
    timeout = aiohttp.ClientTimeout(total=2)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/readyz") as response,
    ):
        return response.status == 200


async def test_a_killed_service_is_restarted_on_its_port_and_the_log_says_so(
    fake_path: Path, tmp_path: Path
) -> None:
    async with fake_stack(fake_path, tmp_path) as stack:
        supervising = asyncio.create_task(stack.supervise(QUICK))
        first = stack.running["auth"].process
        os.kill(first.pid, signal.SIGKILL)

        async def restarted_and_ready() -> bool:
            again = stack.running["auth"].process
            return again.pid != first.pid and await readyz(stack.url("auth"))

        await wait_for(restarted_and_ready, within=30, what="auth restarted")
        assert stack.restarts == {"auth": 1}
        assert stack.running["gateway"].process.returncode is None  # the others are untouched
        log = tmp_path / "stack.log"
        await wait_for(
            lambda: _contains(log, "auth ready again"), within=10, what="ready-again line"
        )
        assert not supervising.done()
    await supervising  # stopping the stack ends the supervision without an error
    text = log.read_text()
    assert (
        "stack   | auth was killed by SIGKILL (signal 9) (crash 1 of 3 allowed within 60s): "
        "restarting in 0.05s" in text
    )
    assert f"stack   | auth restarted (pid {stack.running['auth'].process.pid})" in text
    assert stack.running["auth"].process.returncode == 0  # the new one was stopped cleanly


async def _contains(path: Path, text: str) -> bool:
    return text in await asyncio.to_thread(path.read_text)


async def test_a_crash_loop_gives_up_naming_the_service_with_its_last_lines(
    fake_path: Path, tmp_path: Path
) -> None:
    services = [
        ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
        ServiceSpec("task", "crashing_service", 8003),
    ]
    async with fake_stack(fake_path, tmp_path, services=services) as stack:
        with pytest.raises(StackError) as raised:
            async with asyncio.timeout(60):
                await stack.supervise(QUICK)
    message = str(raised.value)
    assert message.startswith("task (python -m crashing_service, port ")
    assert "exited with code 3: 3 crashes within 60s, giving up" in message
    assert "about to crash" in message  # its last lines
    assert stack.restarts == {"task": 2}
    text = (tmp_path / "stack.log").read_text()
    # The backoff doubles: 0.05 s after the first crash, 0.1 s after the second.
    assert "task exited with code 3 (crash 1 of 3 allowed within 60s): restarting in 0.05s" in text
    assert "task exited with code 3 (crash 2 of 3 allowed within 60s): restarting in 0.1s" in text
    assert all(item.process.returncode is not None for item in stack.running.values())


async def test_without_a_policy_the_first_exit_is_an_error(fake_path: Path, tmp_path: Path) -> None:
    async with fake_stack(fake_path, tmp_path) as stack:
        os.kill(stack.running["gateway"].process.pid, signal.SIGKILL)
        with pytest.raises(StackError, match=r"^gateway .* was killed by SIGKILL"):
            async with asyncio.timeout(30):
                await stack.supervise(None)
        assert stack.restarts == {}


async def test_stopping_during_the_backoff_restarts_nothing(
    fake_path: Path, tmp_path: Path
) -> None:
    slow = RestartPolicy(first_delay=300, max_delay=300)
    stack = fake_stack(fake_path, tmp_path)
    await stack.start()
    supervising = asyncio.create_task(stack.supervise(slow))
    killed = stack.running["auth"].process
    os.kill(killed.pid, signal.SIGKILL)
    log = tmp_path / "stack.log"
    await wait_for(lambda: _contains(log, "restarting in 300s"), within=10, what="backoff")
    async with asyncio.timeout(30):  # not the 300 s of the backoff
        await stack.stop()
        await supervising
    assert stack.restarts == {}
    assert stack.running["auth"].process is killed


async def test_make_run_exits_1_when_a_service_crash_loops(fake_path: Path, tmp_path: Path) -> None:
    script = tmp_path / "run_stack.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, sys
            from hintro_devtools.services import ServiceSpec
            from hintro_devtools.cli import parse_run_args, run_cli
            services = [ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
                        ServiceSpec("board", "crashing_service", 8002)]
            args = parse_run_args(["--for", "test", "--no-infra",
                                   "--port", f"gateway={sys.argv[1]}",
                                   "--port", f"board={sys.argv[2]}",
                                   "--max-crashes", "2", "--restart-delay", "0.05"])
            sys.exit(asyncio.run(run_cli(args, services)))
            """
        )
    )
    env = {
        **os.environ,
        **FAKE_INFRA,
        "PYTHONPATH": str(fake_path),
        "NO_COLOR": "1",
    }
    env.pop("FORCE_COLOR", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(free_port()),
        str(free_port()),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(90):
        output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 1, text
    assert "board exited with code 3 (crash 1 of 2 allowed within 60s): restarting in 0.05s" in text
    assert "stack   | error: board (python -m crashing_service, port " in text
    assert "2 crashes within 60s, giving up" in text
    assert "stack   | gateway stopped (exit 0)" in text


# Forks a worker (as WORKERS > 1 does) that would outlive its parent, and says its pid.
FORKING_SERVICE = textwrap.dedent(
    """
    import os, time
    worker = os.fork()
    if worker == 0:
        time.sleep(600)
        os._exit(0)
    print(f"worker {worker}", flush=True)
    import fake_service
    """
)


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status  # a zombie waiting for init is gone for our purpose


async def test_workers_a_killed_service_forked_are_killed_before_the_restart(
    fake_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "forking_service.py").write_text(FORKING_SERVICE)
    services = [
        ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
        ServiceSpec("board", "forking_service", 8002),
    ]
    stack = fake_stack(
        fake_path,
        tmp_path,
        services=services,
        env={"PYTHONPATH": f"{fake_path}{os.pathsep}{tmp_path}"},
    )
    async with stack:
        supervising = asyncio.create_task(stack.supervise(QUICK))
        first = stack.running["board"]
        [line] = [line for line in first.lines if line.startswith("worker ")]
        worker = int(line.split()[1])
        assert not _gone(worker)
        os.kill(first.process.pid, signal.SIGKILL)

        async def restarted() -> bool:
            return stack.running[
                "board"
            ] is not first and "board restarted" in await asyncio.to_thread(
                (tmp_path / "stack.log").read_text
            )

        await wait_for(restarted, within=30, what="board restarted")
        assert _gone(worker)
    await supervising
    assert "board left processes in its group: SIGKILL" in (tmp_path / "stack.log").read_text()
