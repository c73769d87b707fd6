"""CI proof that the benchmark runs: ``python -m bench --quick`` starts its own stack, runs
every scenario for a moment and writes its figures. Nothing here asserts a speed (issue #6):
only that each scenario ran to the end and produced the figures the report is made of."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hintro_devtools.workspace import repo_root

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SCENARIOS = ("1", "2", "1/2", "3", "4", "5", "6", "7", "8")


def test_quick_benchmark_runs_every_scenario_and_writes_figures(tmp_path: Path) -> None:
    root = repo_root()
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results-dir", str(tmp_path)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    document = json.loads((tmp_path / "latest.json").read_text())
    results = document["results"]
    assert document["meta"]["quick"] is True
    for key in SCENARIOS:
        assert key in results, f"scenario {key} missing"
        assert "failed" not in results[key], results[key]
    for key in ("1", "2", "3"):
        assert results[key]["requests"] > 0
        assert {"throughput", "p50_ms", "p99_ms", "errors"} <= results[key].keys()
    assert results["1/2"]["ratio"] > 0
    assert results["4"]["deliveries"] > 0
    assert results["5"]["sockets"] > 0
    assert results["5"]["fanout_received"] == results["5"]["sockets"]
    assert results["6"]["requests"] > 0
    assert results["7"]["variants"]["parallel_per_list"]["tasks"] > 0
    assert results["7"]["variants"]["two_requests"]["requests"] == 2
    assert results["8"]["requests"] > 0
    assert results["8"]["hits_per_query_avg"] > 0
    assert results["8"]["one_client"]["requests"] > 0
    assert results["8"]["open_loop"]["requests"] > 0
    assert results["8"]["open_loop"]["target_rate"] > 0
    # The table went to stdout with a row per scenario.
    assert "cached board read via gateway" in completed.stdout
