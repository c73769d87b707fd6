"""``python -m bench.search_calls`` runs end to end on a small corpus against its own
nx-27017 and reports every read it names. Nothing here asserts a speed (speed is measured in
``make bench``, not in tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.search_calls import main

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_every_read_and_search_kind_is_measured(tmp_path: Path) -> None:
    assert main(["--tasks", "400", "--repeat", "3", "--results-dir", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "latest.json").read_text())["results"]["search_calls"]
    for read in (
        "the caller's boards (board view)",
        "one tier, ordered, limit 21",
        "a word's match set, projected",
        "a word's match set, whole",
        "21 items by id",
        "40 titles by id",
    ):
        assert figures[read]["calls"] == 3
        assert figures[read]["db_cpu_ms"] is not None
    for kind in ("one word", "4 letters", "two words"):
        for boards in ("boards read", "boards known"):
            assert figures[f"search, {kind}, {boards}"]["calls"] > 0
