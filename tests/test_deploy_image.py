"""The Dockerfile (no Docker engine here, so its text is checked) and the image's health check:
one recipe for every service, locked dependencies, a non-root user, no secrets, and a
HEALTHCHECK that finds each service's port the way the service does."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from hintro_devtools.ports import free_port
from hintro_shared.healthcheck import check, service_port, settings_class
from tests.deploy_helpers import ROOT, SERVICE_NAMES, SERVICE_PORTS

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_one_dockerfile_builds_any_service_from_the_lock_file() -> None:
    steps = instructions()
    assert ("ARG", "SERVICE") in steps
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert 'uv sync --frozen --package "hintro-${SERVICE}" --no-dev --no-editable' in runs
    bases = [rest.split()[0] for word, rest in steps if word == "FROM"]
    stages = {rest.split()[-1] for word, rest in steps if word == "FROM" and " AS " in rest}
    # Every stage starts from the pinned Python or Node image, or from another stage (for every
    # SERVICE when the name depends on it).
    for base in bases:
        names = {base.replace("${SERVICE}", service) for service in SERVICE_NAMES}
        assert base in ("${PYTHON_IMAGE}", "${NODE_IMAGE}") or names <= stages, base
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE)
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {package["name"] for package in lock["package"]}
    assert {f"hintro-{service}" for service in SERVICE_NAMES} <= locked


def _stage_chain(steps: list[tuple[str, str]], service: str) -> list[str]:
    """The stages the ``web`` stage resolves to for ``service`` (FROM web-${SERVICE} AS web)."""
    parents = {
        rest.split()[-1]: rest.split()[0]
        for word, rest in steps
        if word == "FROM" and " AS " in rest
    }
    chain, stage = [], parents["web"].replace("${SERVICE}", service)
    while stage in parents:
        chain.append(stage)
        stage = parents[stage]
    return chain


def test_only_the_gateway_image_builds_and_carries_the_web_app() -> None:
    steps = instructions()
    assert re.search(r"ARG NODE_IMAGE=node:20[.-]", DOCKERFILE), "the web app builds on Node 20"
    runs = [rest for word, rest in steps if word == "RUN"]
    assert any("npm ci" in run for run in runs)
    assert any("npm run build" in run and "test -f dist/index.html" in run for run in runs)
    assert ("COPY", "--from=web /out /app/web") in steps
    env = " ".join(rest for word, rest in steps if word == "ENV")
    assert "WEB_DIST_DIR=/app/web" in env
    assert "web-build" in _stage_chain(steps, "gateway")
    for service in SERVICE_NAMES:
        if service != "gateway":
            assert "web-build" not in _stage_chain(steps, service), service
            assert "web-none" in _stage_chain(steps, service), service
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**/node_modules" in ignored
    assert "web/dist" in ignored


def test_the_image_runs_the_service_as_a_non_root_user_with_a_health_check() -> None:
    steps = instructions()
    users = [rest for word, rest in steps if word == "USER"]
    assert users
    assert not users[-1].startswith(("0", "root"))
    (healthcheck,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert '"python", "-m", "hintro_shared.healthcheck"' in healthcheck
    (command,) = [rest for word, rest in steps if word == "CMD"]
    assert 'exec python -m "hintro_${HINTRO_SERVICE}"' in command


def test_the_image_carries_no_secret() -> None:
    for word, rest in instructions():
        if word in ("ENV", "ARG"):
            assert not re.search(r"(PASSWORD|SECRET|PRIVATE_KEY|TOKEN|_URL)\b", rest), rest
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for secret in (".env", "**/credentials/*.env", "**/credentials/*.pem", ".run", ".git"):
        assert secret in ignored, secret


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_health_check_uses_the_service_port(service: str) -> None:
    assert service_port(service, {}) == SERVICE_PORTS[service]
    assert service_port(service, {"PORT": "9999"}) == 9999
    assert settings_class(service).__module__ == f"hintro_{service}.config"


@pytest.fixture
async def server() -> AsyncIterator[int]:
    async def ready(_: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def not_ready(_: web.Request) -> web.Response:
        return web.json_response({"status": "draining"}, status=503)

    app = web.Application()
    app.router.add_get("/readyz", ready)
    app.router.add_get("/draining", not_ready)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield port
    await runner.cleanup()


async def test_the_health_check_passes_only_on_a_2xx_answer(server: int) -> None:
    import asyncio

    base = f"http://127.0.0.1:{server}"
    assert await asyncio.to_thread(check, f"{base}/readyz", 2.0)
    assert not await asyncio.to_thread(check, f"{base}/draining", 2.0)
    assert not await asyncio.to_thread(check, f"http://127.0.0.1:{free_port()}/readyz", 2.0)
