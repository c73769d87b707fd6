"""The supervisor behind `make run` and the e2e fixture, exercised with a tiny fake service."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hintro_devtools.output import LogSink
from hintro_devtools.ports import free_port
from hintro_devtools.services import ServiceSpec, instance_env, plan_instances
from hintro_devtools.stack import Stack, StackError

FAKE_SERVICE = textwrap.dedent(
    """
    import os, signal, sys, time
    from aiohttp import web

    mode = os.environ.get("FAKE_MODE", "ok")
    ready_at = time.monotonic() + float(os.environ.get("FAKE_READY_AFTER", "0"))
    print(f"starting on port {os.environ['PORT']}", flush=True)
    if mode == "exit":
        print("cannot start: boom", flush=True)
        sys.exit(3)
    if mode == "ignore_term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    async def readyz(request):
        if mode == "never_ready" or time.monotonic() < ready_at:
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "ready"})

    async def env(request):
        return web.json_response(dict(os.environ))

    async def say_bye(app):
        print("stopped cleanly", flush=True)

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/env", env)
    app.on_cleanup.append(say_bye)
    web.run_app(
        app, host=os.environ["HOST"], port=int(os.environ["PORT"]), print=None,
        handle_signals=mode != "ignore_term",
    )
    """
)

MISSING_MODULE = "hintro_devtools_no_such_service"
FAKE_INFRA = {
    "MONGO_URL": "mongodb://127.0.0.1:1",
    "RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:1/",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}


@pytest.fixture(scope="module")
def fake_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the importable module ``fake_service``."""
    directory = tmp_path_factory.mktemp("fake")
    (directory / "fake_service.py").write_text(FAKE_SERVICE)
    return directory


def fake_stack(
    fake_path: Path,
    tmp_path: Path,
    *,
    services: list[ServiceSpec] | None = None,
    env: dict[str, str] | None = None,
    **options: Any,
) -> Stack:
    """A stack of a fake gateway and a fake auth, on free ports, without infrastructure."""
    if services is None:
        services = [
            ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
            ServiceSpec("auth", "fake_service", 8001),
        ]
    return Stack(
        profile="test",
        services=services,
        free_ports=True,
        start_infra=False,
        echo=False,
        log_path=tmp_path / "stack.log",
        env={"PYTHONPATH": str(fake_path), **FAKE_INFRA, **(env or {})},
        **options,
    )


async def env_of(url: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/env") as response:
        env: dict[str, str] = await response.json()
        return env


async def test_stack_waits_until_ready(fake_path: Path, tmp_path: Path) -> None:
    stack = fake_stack(fake_path, tmp_path, env={"FAKE_READY_AFTER": "0.5"})
    async with stack:
        assert set(stack.urls) == {"gateway", "auth"}
        async with aiohttp.ClientSession() as session:
            for url in stack.urls.values():
                async with session.get(f"{url}/readyz") as response:
                    assert response.status == 200
    log = (tmp_path / "stack.log").read_text()
    assert f"gateway | starting on port {stack.running['gateway'].instance.port}" in log
    assert f"auth    | starting on port {stack.running['auth'].instance.port}" in log
    assert "gateway | stopped cleanly" in log
    assert "auth    | stopped cleanly" in log
    assert all(item.process.returncode == 0 for item in stack.running.values())


async def test_each_process_gets_its_settings_and_the_gateway_its_upstreams(
    fake_path: Path, tmp_path: Path
) -> None:
    services = [
        ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
        ServiceSpec("auth", "fake_service", 8001),
        ServiceSpec("board", "fake_service", 8002),
    ]
    # board is planned but left out (--only): the gateway still gets its URL.
    async with fake_stack(
        fake_path, tmp_path, services=services, only=["gateway", "auth"], mongo_db_suffix="abc123"
    ) as stack:
        assert set(stack.running) == {"gateway", "auth"}
        gateway = await env_of(stack.gateway_url)
        auth = await env_of(stack.url("auth"))
    board_port = next(i.port for i in stack.instances if i.name == "board")
    for env, name in ((gateway, "gateway"), (auth, "auth")):
        assert env["HOST"] == "127.0.0.1"
        assert env["PORT"] == str(stack.running[name].instance.port)
        assert env["ENVIRONMENT"] == "test"
        assert env["MONGO_URL"] == "mongodb://127.0.0.1:1"
        assert env["RABBITMQ_URL"] == "amqp://guest:guest@127.0.0.1:1/"
        assert env["REDIS_URL"] == "redis://127.0.0.1:1/0"
        assert env["AUTH_URL"] == stack.urls["auth"]
        assert env["MONGO_DB"] == f"hintro_{name}_abc123"
    assert gateway["BOARD_URL"] == f"http://127.0.0.1:{board_port}"
    assert "BOARD_URL" not in auth
    assert "GATEWAY_URL" not in gateway


async def test_replicas_run_on_their_own_ports_and_the_gateway_knows_them_all(
    fake_path: Path, tmp_path: Path
) -> None:
    services = [
        ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
        ServiceSpec("realtime", "fake_service", 8005, replicas=2),
    ]
    async with fake_stack(fake_path, tmp_path, services=services) as stack:
        assert set(stack.urls) == {"gateway", "realtime", "realtime-2"}
        gateway = await env_of(stack.gateway_url)
    assert stack.urls["realtime"] != stack.urls["realtime-2"]
    assert gateway["REALTIME_URL"] == stack.urls["realtime"]
    assert gateway["REALTIME_URLS"] == f"{stack.urls['realtime']},{stack.urls['realtime-2']}"


async def test_a_service_that_exits_fails_the_start_with_its_last_lines(
    fake_path: Path, tmp_path: Path
) -> None:
    stack = fake_stack(fake_path, tmp_path, service_env={"auth": {"FAKE_MODE": "exit"}})
    with pytest.raises(StackError) as failure:
        await stack.start()
    message = str(failure.value)
    assert message.startswith("auth (python -m fake_service, port ")
    assert "exited with code 3 before it was ready" in message
    assert "cannot start: boom" in message
    # What did start is stopped again (perhaps before it could handle SIGTERM gracefully).
    assert stack.running["gateway"].process.returncode is not None


async def test_a_service_that_never_gets_ready_fails_the_start_naming_it(
    fake_path: Path, tmp_path: Path
) -> None:
    stack = fake_stack(
        fake_path,
        tmp_path,
        # Long enough for the fake to import aiohttp and answer 503 on a busy machine.
        ready_timeout=5.0,
        service_env={"gateway": {"FAKE_MODE": "never_ready"}},
    )
    with pytest.raises(StackError, match=r"^gateway .* was not ready within 5s .*503"):
        await stack.start()
    assert all(item.process.returncode is not None for item in stack.running.values())


async def test_a_process_that_ignores_sigterm_is_killed_after_the_stop_timeout(
    fake_path: Path, tmp_path: Path
) -> None:
    stack = fake_stack(
        fake_path, tmp_path, stop_timeout=1.0, service_env={"auth": {"FAKE_MODE": "ignore_term"}}
    )
    async with stack:
        pass
    assert stack.running["auth"].process.returncode == -signal.SIGKILL
    assert stack.running["gateway"].process.returncode == 0
    assert "auth still running after SIGTERM: SIGKILL" in (tmp_path / "stack.log").read_text()


async def test_a_service_without_a_module_is_an_error_not_skipped(
    fake_path: Path, tmp_path: Path
) -> None:
    stack = fake_stack(
        fake_path,
        tmp_path,
        services=[
            ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
            ServiceSpec("board", MISSING_MODULE, 8002),
        ],
    )
    with pytest.raises(StackError, match=f"board cannot run: `python -m {MISSING_MODULE}`"):
        await stack.start()
    assert stack.running == {}


async def test_a_package_without_main_is_an_error(fake_path: Path, tmp_path: Path) -> None:
    package = tmp_path / "pkg_without_main"
    package.mkdir()
    (package / "__init__.py").write_text("")
    stack = fake_stack(
        fake_path,
        tmp_path,
        services=[ServiceSpec("gateway", "pkg_without_main", 8080)],
        env={"PYTHONPATH": f"{fake_path}{os.pathsep}{tmp_path}"},
    )
    with pytest.raises(StackError, match="gateway cannot run"):
        await stack.start()


async def test_a_service_that_fails_to_import_stops_the_stack_with_its_error(
    fake_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "broken_service.py").write_text("import hintro_no_such_dependency\n")
    stack = fake_stack(
        fake_path,
        tmp_path,
        services=[
            ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
            ServiceSpec("auth", "broken_service", 8001),
        ],
        env={"PYTHONPATH": f"{fake_path}{os.pathsep}{tmp_path}"},
    )
    with pytest.raises(StackError, match="auth") as raised:
        await stack.start()
    assert "ModuleNotFoundError: No module named 'hintro_no_such_dependency'" in str(raised.value)
    assert all(item.process.returncode is not None for item in stack.running.values())


async def test_an_unknown_service_name_is_an_error(fake_path: Path, tmp_path: Path) -> None:
    stack = fake_stack(fake_path, tmp_path, only=["gateway", "nosuch"])
    with pytest.raises(StackError, match="unknown service"):
        await stack.start()


def test_the_libraries_do_not_import_the_command_line() -> None:
    # infra and stack are libraries; the one entry point imports them, never the reverse.
    code = (
        "import sys, hintro_devtools.infra, hintro_devtools.stack;"
        "assert 'hintro_devtools.cli' not in sys.modules, 'cycle'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        ([], 2, "commands:"),
        (["--help"], 0, "infra"),
        (["nosuch"], 2, "unknown command 'nosuch'"),
        (["run", "--help"], 0, "--replicas"),
        (["infra", "--help"], 0, "exec [--for run|test] -- CMD"),
    ],
)
def test_one_entry_point_with_subcommands(args: list[str], code: int, expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hintro_devtools", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert expected in result.stdout + result.stderr


async def test_cli_stops_everything_gracefully_and_exits_0_on_sigterm(
    fake_path: Path, tmp_path: Path
) -> None:
    script = tmp_path / "run_stack.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, sys
            from hintro_devtools.services import ServiceSpec
            from hintro_devtools.cli import parse_run_args, run_cli
            services = [ServiceSpec("gateway", "fake_service", 8080, routes_to_upstreams=True),
                        ServiceSpec("auth", "fake_service", 8001)]
            args = parse_run_args(["--for", "test", "--no-infra",
                                   "--port", f"gateway={sys.argv[1]}",
                                   "--port", f"auth={sys.argv[2]}"])
            sys.exit(asyncio.run(run_cli(args, services)))
            """
        )
    )
    env = {**os.environ, **FAKE_INFRA, "PYTHONPATH": str(fake_path), "NO_COLOR": "1"}
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
    assert process.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(60):
        while not any("Ctrl-C stops everything" in line for line in seen):
            line = (await process.stdout.readline()).decode()
            assert line, "\n".join(seen)
            seen.append(line)
        # Twice at once, as `uv run` forwards the signal its child got already: still graceful.
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
        rest = (await process.stdout.read()).decode()
        code = await process.wait()
    output = "".join(seen) + rest
    assert code == 0, output
    assert "gateway | stopped cleanly" in output
    assert "stack   | gateway stopped (exit 0)" in output
    assert "SIGKILL" not in output


def test_prefix_pads_names_to_the_widest_one() -> None:
    sink = LogSink(["gateway", "auth", "realtime-2"], echo=False)
    assert sink.prefix("auth", color=False) == "auth       | "
    assert sink.prefix("auth", color=True).startswith("\033[")
    assert sink.prefix("auth", color=True).endswith("auth      \033[0m | ")


def test_run_profile_gives_auth_a_kept_signing_key_file(tmp_path: Path) -> None:
    services = [ServiceSpec("auth", "x", 8001, run_paths={"JWT_KEY_FILE": ".run/keys/k.pem"})]
    [auth] = plan_instances(services)
    env = instance_env(
        auth, [auth], environment="development", infra_env={}, root=tmp_path, mongo_db=None
    )
    assert env["JWT_KEY_FILE"] == str(tmp_path / ".run/keys/k.pem")
    assert (tmp_path / ".run/keys").is_dir()
    assert "MONGO_DB" not in env
    test_env = instance_env(auth, [auth], environment="test", infra_env={}, root=None)
    assert "JWT_KEY_FILE" not in test_env


def test_default_ports_follow_the_design_and_replicas_step_by_ten() -> None:
    from hintro_devtools.services import SERVICES

    ports = {i.name: i.port for i in plan_instances(SERVICES, replicas={"realtime": 2})}
    assert ports == {
        "gateway": 8080,
        "auth": 8001,
        "board": 8002,
        "task": 8003,
        "activity": 8004,
        "realtime": 8005,
        "realtime-2": 8015,
        "notification": 8006,
        "webhook": 8007,
        "importer": 8008,
    }


def test_only_development_and_test_let_webhooks_reach_localhost() -> None:
    from hintro_devtools.services import SERVICES

    webhook = next(i for i in plan_instances(SERVICES) if i.name == "webhook")
    for environment in ("development", "test"):
        env = instance_env(webhook, [webhook], environment=environment, infra_env={})
        assert env["WEBHOOK_ALLOW_CIDRS"] == "127.0.0.1/32"
        assert env["WEBHOOK_ALLOW_HTTP"] == "true"
    prod = instance_env(webhook, [webhook], environment="production", infra_env={})
    assert "WEBHOOK_ALLOW_CIDRS" not in prod
    assert "WEBHOOK_ALLOW_HTTP" not in prod
