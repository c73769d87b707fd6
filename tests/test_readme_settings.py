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
SERVICES = ["gateway", "auth", "board", "task", "activity", "realtime"]
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


def _rows(section: str) -> dict[str, str]:
    """Map each backticked variable in a section's table to its row."""
    text = README.read_text()
    match = re.search(rf"^### {re.escape(section)}\b.*?$(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, f"README has no settings section {section!r}"
    rows: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for name in re.findall(r"`([A-Z0-9_]+)`", first_cell):
                rows[name] = line
    return rows


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
