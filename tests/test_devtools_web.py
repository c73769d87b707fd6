"""The web build step of `make run` / `make test`: npm ci and the build run when needed, and only
then, with real npm on a project whose build is a one-line Node script."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hintro_devtools import web
from hintro_devtools.workspace import repo_root

needs_node = pytest.mark.skipif(
    shutil.which("npm") is None or shutil.which("node") is None, reason="Node.js/npm not installed"
)

# The build counts its runs in a file outside dist/, which the build empties like Vite does.
BUILD = (
    "const fs=require('fs');fs.rmSync('dist',{recursive:true,force:true});"
    "fs.mkdirSync('dist');fs.writeFileSync('dist/index.html','<p>'+fs.readFileSync('src/main.ts'));"
    "fs.appendFileSync('builds.log','x')"
)


def make_project(root: Path) -> Path:
    project = root / "web"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.ts").write_text("v1")
    package = {
        "name": "fixture",
        "version": "1.0.0",
        "private": True,
        "scripts": {"build": f'node -e "{BUILD}"', "test": "node -e \"console.log('ok')\""},
    }
    (project / "package.json").write_text(json.dumps(package))
    lock = {
        "name": "fixture",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "fixture", "version": "1.0.0"}},
    }
    (project / "package-lock.json").write_text(json.dumps(lock))
    return project


def builds(project: Path) -> int:
    log = project / "builds.log"
    return len(log.read_text()) if log.exists() else 0


def bump(path: Path) -> None:
    """Make a file newer than the build stamp, whatever the file system's timestamp grain."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@needs_node
def test_builds_once_then_only_when_an_input_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert web.build(tmp_path) is True
    assert (project / "node_modules" / web.LOCK_STAMP).is_file()
    assert (project / "dist" / "index.html").read_text() == "<p>v1"
    assert builds(project) == 1

    assert web.build(tmp_path) is True
    assert builds(project) == 1, "an up-to-date build was redone"

    (project / "src" / "main.ts").write_text("v2")
    bump(project / "src" / "main.ts")
    web.build(tmp_path)
    assert builds(project) == 2
    assert (project / "dist" / "index.html").read_text() == "<p>v2"

    bump(project / "package.json")
    web.build(tmp_path)
    assert builds(project) == 3


@needs_node
def test_lint_runs_eslint_then_the_type_check_and_fails_with_them(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    package = json.loads((project / "package.json").read_text())
    package["scripts"]["lint"] = "node -e \"require('fs').appendFileSync('ran.log','lint ')\""
    package["scripts"]["typecheck"] = "node -e \"require('fs').appendFileSync('ran.log','tsc')\""
    (project / "package.json").write_text(json.dumps(package))
    web.lint(tmp_path)
    assert (project / "ran.log").read_text() == "lint tsc"
    package["scripts"]["lint"] = 'node -e "process.exit(3)"'
    (project / "package.json").write_text(json.dumps(package))
    with pytest.raises(web.WebError, match="ESLint"):
        web.lint(tmp_path)


def test_install_is_needed_without_node_modules_or_after_a_lock_change(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert web.needs_install(project)
    (project / "node_modules").mkdir()
    (project / "node_modules" / web.LOCK_STAMP).write_text(web.lock_hash(project))
    assert not web.needs_install(project)
    (project / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}')
    assert web.needs_install(project)


def test_a_failed_build_leaves_no_stamp_so_the_next_run_builds(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "dist").mkdir()
    (project / "dist" / "index.html").write_text("half written")
    assert web.needs_build(project)
    (project / "dist" / web.BUILD_STAMP).write_text("ok")
    bump(project / "dist" / web.BUILD_STAMP)
    assert not web.needs_build(project)
    (project / "tsconfig.tsbuildinfo").write_text("{}")  # written by tsc -b: not an input
    bump(project / "tsconfig.tsbuildinfo")
    bump(project / "tsconfig.tsbuildinfo")
    assert not web.needs_build(project)
    (project / "vite.config.ts").write_text("export default {}")
    bump(project / "vite.config.ts")
    bump(project / "vite.config.ts")
    assert web.needs_build(project)


@pytest.mark.parametrize("action", ["test", "lint"])
def test_without_web_dir_the_steps_are_no_ops(tmp_path: Path, action: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hintro_devtools", "web", action],
        env={**os.environ, "HINTRO_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "no web/ in this checkout" in result.stdout


def test_missing_node_is_a_clear_error_or_a_warning_when_optional(tmp_path: Path) -> None:
    make_project(tmp_path)
    env = {**os.environ, "HINTRO_ROOT": str(tmp_path), "PATH": "/nonexistent"}
    command = [sys.executable, "-m", "hintro_devtools", "web", "build"]
    failed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "node and npm not found" in failed.stdout
    optional = subprocess.run(
        [*command, "--optional"], env=env, capture_output=True, text=True, check=False
    )
    assert optional.returncode == 0
    assert "the API starts anyway" in optional.stdout


@needs_node
def test_precompress_writes_smaller_siblings_only(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (assets / "app.js").write_text("console.log('hintro');\n" * 400)
    (assets / "tiny.js").write_text("1")
    (assets / "logo.png").write_bytes(os.urandom(4096))
    script = repo_root() / "tools" / "web" / "precompress.mjs"
    subprocess.run(["node", str(script), str(tmp_path)], check=True, capture_output=True)
    original = (assets / "app.js").read_bytes()
    assert gzip.decompress((assets / "app.js.gz").read_bytes()) == original
    assert 0 < (assets / "app.js.br").stat().st_size < len(original)
    assert not (assets / "tiny.js.gz").exists()
    assert not (assets / "logo.png.gz").exists()


@needs_node
def test_precompress_refuses_a_directory_that_is_no_build(tmp_path: Path) -> None:
    script = repo_root() / "tools" / "web" / "precompress.mjs"
    result = subprocess.run(
        ["node", str(script), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "index.html not found" in result.stderr


def test_the_stack_says_to_open_the_app_only_when_it_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hintro_devtools.stack import Stack

    monkeypatch.delenv("WEB_DIST_DIR", raising=False)
    # As once every service is ready (only the gateway matters to the announcement).
    monkeypatch.setattr(Stack, "urls", property(lambda _: {"gateway": "http://127.0.0.1:8080"}))
    without = Stack(profile="run", root=tmp_path, free_ports=True, color=False)
    without._announce(1.0)
    said = capsys.readouterr().out
    assert "the web app is not built" in said
    assert "open http" not in said

    (tmp_path / "web" / "dist").mkdir(parents=True)
    (tmp_path / "web" / "dist" / "index.html").write_text("<!doctype html>")
    built = Stack(profile="run", root=tmp_path, free_ports=True, color=False)
    built._announce(1.0)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip(" |stack")]
    # The first thing said after "ready" is where to go.
    assert "Hintro is running: open http://127.0.0.1:8080/ in your browser" in lines[1]
    # The test profile serves a build only when WEB_DIST_DIR names one.
    test_profile = Stack(profile="test", root=tmp_path, free_ports=True, color=False)
    test_profile._announce(1.0)
    assert "not built" in capsys.readouterr().out
