"""Production packages (shared, gateway, services/*) carry no test support: nothing under their
``src/`` imports the dev-only packages or aiohttp's test utilities, and no production package
depends on a dev-only one, so none of it reaches a service image."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from hintro_devtools.workspace import repo_root

ROOT = repo_root()
PRODUCTION_PACKAGES = sorted(
    [ROOT / "shared", ROOT / "gateway", *(ROOT / "services").glob("*/")],
)
# Module prefixes only tests and dev tools may import.
FORBIDDEN = (
    "aiohttp.test_utils",
    "aiohttp.pytest_plugin",
    "pytest",
    "hintro_testkit",
    "hintro_devtools",
    "services",
)
DEV_ONLY_DISTRIBUTIONS = {"hintro-testkit", "hintro-devtools"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (absolute names), with its line number."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def forbidden_imports(source_root: Path) -> list[str]:
    """``file:line imports module`` for every import of test support under ``source_root``."""
    hits = []
    for path in sorted(source_root.rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == bad or module.startswith(f"{bad}.") for bad in FORBIDDEN):
                hits.append(f"{path.relative_to(source_root)}:{line} imports {module}")
    return hits


def test_the_production_packages_are_found() -> None:
    names = {package.name for package in PRODUCTION_PACKAGES}
    expected = {"shared", "gateway", "auth", "board", "task", "activity", "realtime"}
    assert expected | {"notification", "webhook", "importer"} <= names


@pytest.mark.parametrize("package", PRODUCTION_PACKAGES, ids=lambda p: p.name)
def test_production_code_imports_no_test_support(package: Path) -> None:
    assert forbidden_imports(package / "src") == []


@pytest.mark.parametrize("package", PRODUCTION_PACKAGES, ids=lambda p: p.name)
def test_production_packages_depend_on_no_dev_package(package: Path) -> None:
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {
        re.match(r"[A-Za-z0-9._-]+", dep).group(0)  # type: ignore[union-attr]
        for dep in project.get("dependencies", [])
    }
    assert names & DEV_ONLY_DISTRIBUTIONS == set()


def test_the_gateway_imports_no_service() -> None:
    # The gateway serves the committed OpenAPI file; only the dev tools import every service.
    services = tuple(f"hintro_{package.name}" for package in (ROOT / "services").glob("*/"))
    hits = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "gateway" / "src").rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] in services
    ]
    assert services
    assert hits == []


def test_the_check_reports_test_support_imports(tmp_path: Path) -> None:
    # The guard itself: imports like the ones that used to ship are reported, others are not.
    (tmp_path / "helpers.py").write_text(
        "from aiohttp import web\n"
        "from aiohttp.test_utils import TestServer\n"
        "from aiohttp import test_utils\n"
        "import hintro_testkit.infra\n",
        encoding="utf-8",
    )
    assert forbidden_imports(tmp_path) == [
        "helpers.py:2 imports aiohttp.test_utils",
        "helpers.py:2 imports aiohttp.test_utils.TestServer",
        "helpers.py:3 imports aiohttp.test_utils",
        "helpers.py:4 imports hintro_testkit.infra",
    ]
