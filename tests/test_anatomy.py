"""The layering every service follows (docs/architecture.md, "Code layout"): the domain and the
use cases speak in domain terms and raise :mod:`hintro_shared.refusals`; only the HTTP layer
(routes, app, the shared problem middleware) knows aiohttp and problem+json.

Read from the source (AST), so a forbidden import fails here even when no test exercises the
module. The check is on the module's own imports: adapters a use case reaches through a package
(the board-service client, token verification) are HTTP by nature and sit behind ports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = [*sorted(ROOT.glob("services/*/src")), ROOT / "shared" / "src"]
FORBIDDEN_DIRECTLY = ("aiohttp", "hintro_shared.problems")
FORBIDDEN_ANYWHERE: tuple[str, ...] = ()
# Shared modules that hold rules rather than HTTP plumbing: they obey the same layering.
SHARED_DOMAIN = ("hintro_shared.authz", "hintro_shared.refusals", "hintro_shared.ordering")


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    for root in SOURCE_ROOTS:
        for candidate in (
            root.joinpath(*parts).with_suffix(".py"),
            root.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return candidate
    return None


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == bad or name.startswith(f"{bad}.") for bad in modules)


def _forbidden_chain(module: str) -> list[str] | None:
    """The import chain from ``module`` to a forbidden module, ``None`` when there is none."""
    seen: set[str] = set()
    stack: list[list[str]] = [[module]]
    while stack:
        chain = stack.pop()
        path = _module_path(chain[-1])
        if path is None or chain[-1] in seen:
            continue
        seen.add(chain[-1])
        for name in sorted(_imports(path)):
            if _is(name, FORBIDDEN_ANYWHERE) or (len(chain) == 1 and _is(name, FORBIDDEN_DIRECTLY)):
                return [*chain, name]
            if name.startswith("hintro_") and _module_path(name) is not None:
                stack.append([*chain, name])
    return None


def _layered_modules() -> list[str]:
    modules = list(SHARED_DOMAIN)
    for root in SOURCE_ROOTS:
        for path in sorted(root.glob("hintro_*/*.py")):
            if path.name in {"domain.py", "service.py"}:
                modules.append(f"{path.parent.name}.{path.stem}")
    return modules


def test_every_service_has_a_domain_and_a_service_module() -> None:
    services = sorted(p.parent.name for p in ROOT.glob("services/*/src/hintro_*/app.py"))
    assert services, "no service found"
    for name in services:
        assert f"{name}.domain" in _layered_modules()
        assert f"{name}.service" in _layered_modules()


@pytest.mark.parametrize("module", _layered_modules())
def test_domain_and_use_cases_do_not_know_http(module: str) -> None:
    chain = _forbidden_chain(module)
    assert chain is None, " -> ".join(chain or [])
