"""The Dockerfile (no Docker engine here, so its text is checked) and the image's health check:
one recipe for every service, locked dependencies, a non-root user, no secrets, and a
HEALTHCHECK that finds each service's port the way the service does."""

from __future__ import annotations

import json
import os
import posixpath
import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

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
    assert ("ARG", "SERVICE=none") in steps  # the empty web stage; the build stage refuses it
    (check,) = [rest for word, rest in steps if word == "RUN" and "--build-arg SERVICE" in rest]
    accepted = re.search(r'case "\$\{SERVICE\}" in ([\w|]+)\)', check)
    assert accepted
    assert set(accepted.group(1).split("|")) == set(SERVICE_NAMES)
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


# --- the web stage, checked against the real build (no Docker engine here) ----------------------


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match with ``**``) as a regex over context paths;
    a pattern that names a directory covers everything under it."""
    out, i = "", 0
    pattern = pattern.strip().lstrip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "(?:/.*)?")


def dockerignored(path: str) -> bool:
    """Whether ``path`` (relative to the build context) is left out of it: the last matching
    pattern decides, ``!`` patterns take a path back in."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if _ignore_regex(line.removeprefix("!")).fullmatch(path):
            ignored = not negated
    return ignored


def test_dockerignore_patterns_match_as_docker_matches_them() -> None:
    assert dockerignored("web/node_modules/react/index.js")
    assert dockerignored("services/task/tests/test_x.py")
    assert dockerignored("web/dist/index.html")
    assert dockerignored(".env")
    assert not dockerignored(".env.example")
    assert not dockerignored("web/src/main.tsx")
    assert not dockerignored("tools/web/precompress.mjs")


def _stage(name: str) -> list[tuple[str, str]]:
    """The instructions of one stage, its FROM first."""
    steps = instructions()
    start = next(
        i for i, (word, rest) in enumerate(steps) if word == "FROM" and rest.endswith(f" AS {name}")
    )
    end = next((i for i in range(start + 1, len(steps)) if steps[i][0] == "FROM"), len(steps))
    return steps[start:end]


def _layout(steps: list[tuple[str, str]]) -> tuple[dict[str, str], str]:
    """Where each COPY of ``steps`` puts the context's files (context path or directory ->
    image path) and the working directory after the last step."""
    workdir, copies = "/", {}
    for word, rest in steps:
        if word == "WORKDIR":
            workdir = posixpath.join(workdir, rest)
        elif word == "COPY" and not rest.startswith("--from"):
            *sources, dest = [arg for arg in rest.split() if not arg.startswith("--")]
            dest = posixpath.normpath(posixpath.join(workdir, dest))
            for source in sources:
                if source.endswith("/"):
                    copies[source.rstrip("/")] = dest
                else:
                    copies[source] = posixpath.join(dest, posixpath.basename(source))
    return copies, workdir


def _in_image(copies: dict[str, str], path: str) -> str | None:
    """The image path of the context file ``path``, or None when no COPY brings it."""
    if dockerignored(path):
        return None
    found = None
    for source, dest in copies.items():
        if path == source:
            found = dest
        elif path.startswith(source + "/"):
            found = posixpath.join(dest, path[len(source) + 1 :])
    return found


def test_the_web_stage_gets_every_file_the_build_reads_where_the_build_looks() -> None:
    """Every input of the real build (what ``make run`` rebuilds on: web/src, public, the
    configs, the lock file, tools/web/precompress.mjs) reaches the web stage, not left out by
    .dockerignore, at the same place relative to web/ (the build script says
    ``../tools/web/precompress.mjs``), and the build runs in web/'s place."""
    from hintro_devtools import web

    steps = _stage("web-build")
    build_at = next(
        i for i, (word, rest) in enumerate(steps) if word == "RUN" and "npm run build" in rest
    )
    copies, workdir = _layout(steps[:build_at])
    script = json.loads((ROOT / "web" / "package.json").read_text())["scripts"]["build"]
    assert "../tools/web/precompress.mjs" in script
    precompress = ROOT / "tools" / "web" / "precompress.mjs"
    inputs = list(web.build_inputs(ROOT / "web", [precompress]))
    assert any(path.name == "main.tsx" for path in inputs)
    assert precompress in inputs
    for path in inputs:
        context_path = path.relative_to(ROOT).as_posix()
        expected = posixpath.normpath(posixpath.join(workdir, os.path.relpath(path, ROOT / "web")))
        assert _in_image(copies, context_path) == expected, context_path
    # npm ci runs on the manifest and the lock file alone (a layer reused until they change).
    ci_at = next(i for i, (word, rest) in enumerate(steps) if word == "RUN" and "npm ci" in rest)
    ci_copies, ci_workdir = _layout(steps[:ci_at])
    for name in ("package.json", "package-lock.json"):
        assert _in_image(ci_copies, f"web/{name}") == f"{ci_workdir}/{name}"


def test_npm_ci_in_the_node_image_installs_the_locked_build() -> None:
    """What ``npm ci`` in the Node image needs: a lock file in step with package.json (else it
    refuses), the Linux builds of the native bundler packages for amd64 and arm64 hosts
    (optional dependencies npm takes only from the lock), and a Node the engines field allows."""
    package = json.loads((ROOT / "web" / "package.json").read_text())
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    root = lock["packages"][""]
    assert root.get("dependencies", {}) == package.get("dependencies", {})
    assert root.get("devDependencies", {}) == package.get("devDependencies", {})
    for native in (
        "@rollup/rollup-linux-x64-gnu",
        "@rollup/rollup-linux-arm64-gnu",
        "@esbuild/linux-x64",
        "@esbuild/linux-arm64",
    ):
        assert f"node_modules/{native}" in lock["packages"], native
    image = re.search(r"ARG NODE_IMAGE=node:(\d+)(?:\.(\d+))?[-.]\S*bookworm", DOCKERFILE)
    assert image, "a Debian (glibc) Node image: the locked native packages are the -gnu ones"
    engines = re.fullmatch(r">=(\d+)\.(\d+)(?:\.\d+)?", package["engines"]["node"])
    assert engines
    # node:<major> is that major's newest release, which meets a minimum within the major.
    assert int(image.group(1)) == int(engines.group(1))
    if image.group(2) is not None:
        assert int(image.group(2)) >= int(engines.group(2))


def test_the_gateway_image_serves_the_stage_output_as_built() -> None:
    """The web stage copies Vite's output directory whole (index.html at its root, assets
    under /assets/ as index.html names them) to the path WEB_DIST_DIR gives the gateway."""
    vite = (ROOT / "web" / "vite.config.ts").read_text()
    assert "outDir" not in vite, "the stage copies dist/"
    assert "base:" not in vite, "the gateway serves the app at /"
    (build,) = [
        rest for word, rest in _stage("web-build") if word == "RUN" and "npm run build" in rest
    ]
    assert "cp -a dist/. /out/" in build
    env = " ".join(rest for word, rest in instructions() if word == "ENV")
    dist_dir = re.search(r"WEB_DIST_DIR=(\S+)", env)
    assert dist_dir
    assert ("COPY", f"--from=web /out {dist_dir.group(1)}") in instructions()
    from hintro_gateway.config import GatewaySettings

    assert "web_dist_dir" in GatewaySettings.model_fields
    settings = GatewaySettings.model_construct(
        environment="production", web_dist_dir=Path(dist_dir.group(1))
    )
    assert settings.web_dist == Path(dist_dir.group(1))
