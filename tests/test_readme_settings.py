"""The README's settings tables list every setting each service reads, with its real default."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from hintro_shared.config import ServiceSettings

README = Path(__file__).resolve().parents[1] / "README.md"
SERVICES = [
    "gateway",
    "auth",
    "board",
    "task",
    "activity",
    "realtime",
    "notification",
    "webhook",
    "importer",
]
_PER_SERVICE = {"SERVICE_NAME", "PORT"}  # documented as "per service" in the shared table


def _settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"hintro_{service}.config")
    classes = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{service}: expected one settings class, found {classes}"
    return classes[0]


def _render(default: Any) -> str:
    if default is None:
        return "unset"
    if default in ("", ()):
        return "empty"
    if isinstance(default, tuple):
        return ",".join(str(item) for item in default)
    return str(default)


def _section_rows(text: str, section: str) -> list[tuple[str, str]]:
    """Each backticked variable in a section's table with its row, in order, repeats included."""
    match = re.search(rf"^### {re.escape(section)}\b.*?$(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, f"README has no settings section {section!r}"
    rows: list[tuple[str, str]] = []
    for line in match.group(1).splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            rows.extend((name, line) for name in re.findall(r"`([A-Z0-9_]+)`", first_cell))
    return rows


def _duplicates(rows: list[tuple[str, str]]) -> list[str]:
    """The variables listed more than once (a repeated row hides which default is true)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name, _ in rows:
        if name in seen:
            repeated.append(name)
        seen.add(name)
    return repeated


def _rows(section: str) -> dict[str, str]:
    """Map each backticked variable in a section's table to its row (each listed once)."""
    rows = _section_rows(README.read_text(), section)
    assert _duplicates(rows) == [], f"README lists these {section!r} settings twice"
    return dict(rows)


@pytest.mark.parametrize("section", ["Every service", *SERVICES])
def test_no_setting_is_listed_twice(section: str) -> None:
    assert _duplicates(_section_rows(README.read_text(), section)) == []


def test_a_duplicate_row_is_found() -> None:
    text = (
        "### gateway\n\n| variable | default | what |\n|---|---|---|\n"
        "| `RATE_LIMIT_BATCH` | `true` | one |\n| `PORT` | `8080` | port |\n"
        "| `RATE_LIMIT_BATCH` | `True` | again |\n\n## Next\n"
    )
    assert _duplicates(_section_rows(text, "gateway")) == ["RATE_LIMIT_BATCH"]


def test_every_shared_setting_is_documented_with_its_default() -> None:
    rows = _rows("Every service")
    for name, field in ServiceSettings.model_fields.items():
        variable = name.upper()
        assert variable in rows, f"{variable} missing from the README's shared settings"
        if variable not in _PER_SERVICE:
            assert f"`{_render(field.default)}`" in rows[variable] or (
                _render(field.default) in {"empty", "unset"}
            ), f"{variable}: README default differs from {field.default!r}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_setting_is_documented_with_its_default(service: str) -> None:
    shared = ServiceSettings.model_fields
    rows = _rows(service)
    for name, field in _settings_class(service).model_fields.items():
        variable = name.upper()
        if variable in _PER_SERVICE or (name in shared and field.default == shared[name].default):
            continue
        assert variable in rows, f"{variable} ({service}) missing from the README"
        rendered = _render(field.default)
        if rendered in {"empty", "unset"}:
            assert rendered in rows[variable], f"{variable}: README should say {rendered}"
        else:
            assert f"`{rendered}`" in rows[variable], (
                f"{variable} ({service}): README default differs from {field.default!r}"
            )
