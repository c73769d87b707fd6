"""``python -m bench.activity_calls`` runs end to end on a short log against its own nx-27017
and reports every read it names, each read returning what the log holds. Nothing here asserts
a speed (speed is measured in ``make bench``, not in tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.activity_calls import main

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_every_page_read_is_measured(tmp_path: Path) -> None:
    assert (
        main(["--entries", "300", "--boards", "2", "--repeat", "3", "--results-dir", str(tmp_path)])
        == 0
    )
    figures = json.loads((tmp_path / "latest.json").read_text())["results"]["activity_calls"]
    for way in ("by place", "by seq"):
        for read in ("history, newest page", "history, older page", "replay, 100 after"):
            assert figures[f"{read}, {way}"]["calls"] == 3
            assert figures[f"{read}, {way}"]["db_cpu_ms"] is not None
    assert figures["the board's head"]["calls"] == 3
    assert figures["pages agree"] is True
