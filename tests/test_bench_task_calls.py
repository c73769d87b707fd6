"""``python -m bench.task_calls`` runs end to end on a small database against its own nx-27017
and reports every read it names, both ways of each reading the same tasks. Nothing here asserts
a speed (speed is measured in ``make bench``, not in tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.task_calls import main

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_every_read_is_measured_both_ways(tmp_path: Path) -> None:
    args = ["--tasks", "600", "--boards", "4", "--repeat", "3", "--results-dir", str(tmp_path)]
    assert main(args) == 0
    figures = json.loads((tmp_path / "latest.json").read_text())["results"]["task_calls"]
    for way in ("as a range", "equality"):
        for read in ("a list's page", "a list's last position", "a board's tasks"):
            assert figures[f"{read}, {way}"]["calls"] == 3
            assert figures[f"{read}, {way}"]["db_cpu_ms"] is not None
    assert figures["reads agree"] is True
    assert figures["the list's tasks"] == 50
