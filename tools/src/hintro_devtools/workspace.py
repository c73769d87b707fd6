"""Where the checkout is, so every generated file lands under its own ``.run/``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path


def _is_workspace_root(directory: Path) -> bool:
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "workspace" in data.get("tool", {}).get("uv", {})


def repo_root() -> Path:
    """The uv workspace root: ``HINTRO_ROOT`` if set, else the nearest directory above the current
    one (then above this file) whose ``pyproject.toml`` declares the workspace."""
    override = os.environ.get("HINTRO_ROOT")
    if override:
        return Path(override).resolve()
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for directory in (start, *start.parents):
            if _is_workspace_root(directory):
                return directory
    raise RuntimeError(
        "cannot find the Hintro checkout (a pyproject.toml with [tool.uv.workspace]); "
        "run from inside it or set HINTRO_ROOT"
    )
