"""The anatomy every service follows (docs/architecture.md, "One service anatomy"): the same
files in every package, and domain and use-case modules that speak in domain terms, raising
:mod:`hintro_shared.refusals`; only the HTTP layer (routes, app, the shared problem middleware)
knows aiohttp and problem+json.

Read from the source (AST), so a forbidden import fails here even when no test exercises the
module. The check is on the module's own imports: adapters a use case reaches through a port
(the board-service client, token verification) are HTTP by nature."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.parent for p in ROOT.glob("services/*/src/hintro_*/app.py"))
ANATOMY = (
    "__main__.py",
    "app.py",
    "config.py",
    "domain.py",
    "service.py",
    "repository.py",
    "routes.py",
    "schemas.py",
)
FORBIDDEN = ("aiohttp", "hintro_shared.problems")
# Shared modules that hold rules rather than HTTP plumbing obey the same layering.
SHARED_RULES = (
    "authz",
    "refusals",
    "ordering",
    "ids",
    "timeutil",
    "caller",
    "pagination",
    "labels",
)


def _layered_modules() -> list[Path]:
    shared = ROOT / "shared" / "src" / "hintro_shared"
    modules = [shared / f"{name}.py" for name in SHARED_RULES]
    for package in SERVICES:
        modules += [package / "domain.py", package / "service.py"]
    return modules


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_service_has_the_anatomy_files() -> None:
    assert len(SERVICES) >= 5, SERVICES
    for package in SERVICES:
        missing = [name for name in ANATOMY if not (package / name).is_file()]
        assert not missing, f"{package.name} lacks {missing}"


@pytest.mark.parametrize("path", _layered_modules(), ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_domain_and_use_cases_do_not_know_http(path: Path) -> None:
    bad = sorted(
        name
        for name in _imports(path)
        if any(name == forbidden or name.startswith(f"{forbidden}.") for forbidden in FORBIDDEN)
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
