"""The web app's build steps behind ``make run``, ``make test`` and CI.

``python -m hintro_devtools web build``    npm ci when needed, vite build when the sources changed
``python -m hintro_devtools web test``     the same, then the unit tests (``npm test``: Vitest)
``python -m hintro_devtools web lint``     npm ci when needed, then ESLint and the TypeScript check
``python -m hintro_devtools web chromium`` Debian's Chromium with apt-get when missing (root)

Every step is a no-op with a message when ``web/`` does not exist. ``npm ci`` runs when
``node_modules`` is missing or ``package-lock.json`` differs from the one it was installed from
(its hash is kept in ``node_modules/.hintro-lock``); the build runs when any input is newer than
the stamp written after the last good build (``web/dist/.hintro-build``: a dot-file, never served).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from hintro_devtools.workspace import repo_root

CHROMIUM = Path("/usr/bin/chromium")
LOCK_STAMP = ".hintro-lock"
BUILD_STAMP = ".hintro-build"
# What the build reads besides web/src: configs at the top of web/, the HTML entry, the static
# files and the precompression step.
_INPUT_DIRS = ("src", "public")
_INPUT_FILES = ("index.html", "package.json", "package-lock.json")
_CONFIG_PREFIXES = ("vite.config.", "tsconfig", ".env")
_SKIP_DIRS = frozenset({"node_modules", "dist", ".vite"})


class WebError(RuntimeError):
    """A web step failed; the message says which and why."""


def say(message: str) -> None:
    print(f"web     | {message}", flush=True)


def web_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / "web"


def node_missing() -> str | None:
    """Why the web app cannot be built here, or None when Node.js and npm are on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return None
    return f"{' and '.join(missing)} not found: install Node.js 20 (with npm) to build the web app"


def lock_hash(web: Path) -> str:
    return hashlib.sha256((web / "package-lock.json").read_bytes()).hexdigest()


def needs_install(web: Path) -> bool:
    """True when ``node_modules`` is missing or was installed from another package-lock.json."""
    stamp = web / "node_modules" / LOCK_STAMP
    if not stamp.is_file():
        return True
    return stamp.read_text().strip() != lock_hash(web)


def build_inputs(web: Path, extra: Iterable[Path] = ()) -> Iterable[Path]:
    """Every file the build reads."""
    for name in _INPUT_DIRS:
        for directory, dirnames, filenames in os.walk(web / name):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
            for filename in filenames:
                yield Path(directory) / filename
    for entry in web.iterdir():
        # tsc -b writes tsconfig.tsbuildinfo during the build: an output, not an input.
        if (
            entry.is_file()
            and not entry.name.endswith(".tsbuildinfo")
            and (entry.name in _INPUT_FILES or entry.name.startswith(_CONFIG_PREFIXES))
        ):
            yield entry
    yield from (path for path in extra if path.is_file())


def needs_build(web: Path, extra: Iterable[Path] = ()) -> bool:
    """True when there is no good build or an input is newer than it."""
    stamp = web / "dist" / BUILD_STAMP
    if not stamp.is_file() or not (web / "dist" / "index.html").is_file():
        return True
    built = stamp.stat().st_mtime_ns
    return any(path.stat().st_mtime_ns > built for path in build_inputs(web, extra))


def _run(command: Sequence[str], cwd: Path, what: str) -> None:
    say(f"{what}: {' '.join(command)}")
    try:
        subprocess.run(command, cwd=cwd, check=True)  # noqa: S603 - fixed npm commands
    except subprocess.CalledProcessError as exc:
        raise WebError(f"{what} failed (exit {exc.returncode})") from None


def install(root: Path | None = None) -> bool:
    """``npm ci`` when needed; False when there is no ``web/`` (nothing to do)."""
    web = web_dir(root or repo_root())
    if not (web / "package.json").is_file():
        say("no web/ in this checkout: nothing to do")
        return False
    if (reason := node_missing()) is not None:
        raise WebError(reason)
    if needs_install(web):
        _run(["npm", "ci", "--no-audit", "--no-fund"], web, "installing the web dependencies")
        # A project without dependencies gets no node_modules from npm ci.
        (web / "node_modules").mkdir(exist_ok=True)
        (web / "node_modules" / LOCK_STAMP).write_text(lock_hash(web) + "\n")
    return True


def lint(root: Path | None = None) -> None:
    """ESLint and the strict TypeScript check of ``web/``."""
    if not install(root):
        return
    web = web_dir(root or repo_root())
    _run(["npm", "run", "lint"], web, "web lint (ESLint)")
    _run(["npm", "run", "typecheck"], web, "web type check (tsc, strict)")


def build(root: Path | None = None) -> bool:
    """Install the dependencies and build ``web/dist`` when needed; False when there is no
    ``web/`` (nothing to do)."""
    root = root or repo_root()
    web = web_dir(root)
    if not install(root):
        return False
    precompress = root / "tools" / "web" / "precompress.mjs"
    if needs_build(web, [precompress]):
        _run(["npm", "run", "build"], web, "building the web app")
        (web / "dist" / BUILD_STAMP).write_text("built by hintro_devtools.web\n")
    else:
        say("web/dist is up to date")
    return True


def unit_tests(root: Path | None = None) -> None:
    """``npm test`` (Vitest) in ``web/``."""
    web = web_dir(root)
    _run(["npm", "test"], web, "web unit tests")


def ensure_chromium() -> None:
    """Install Debian's chromium when ``/usr/bin/chromium`` is missing (needs root and apt)."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise WebError(
            f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get): "
            "install Chromium, e.g. `sudo apt-get install chromium`"
        )
    say("chromium is missing: installing it with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
        except subprocess.CalledProcessError as exc:
            raise WebError(f"{' '.join(command)} failed (exit {exc.returncode})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hintro_devtools web", description=__doc__)
    parser.add_argument("action", choices=["build", "test", "lint", "chromium"])
    parser.add_argument(
        "--optional",
        action="store_true",
        help="a failure is a warning and the exit code 0 (make run starts the API regardless)",
    )
    args = parser.parse_args(argv)
    try:
        if args.action == "chromium":
            ensure_chromium()
        elif args.action == "lint":
            lint()
        elif build() and args.action == "test":
            unit_tests()
    except WebError as exc:
        if args.optional:
            say(f"warning: {exc}; the API starts anyway (with the last good web build, if any)")
            return 0
        say(f"error: {exc}")
        return 1
    return 0
