"""The benchmark runs in the repository are exactly the ones docs/performance.md cites, and
.gitignore agrees: cited runs are not ignored, any other run is."""

from __future__ import annotations

import re
import subprocess

import pytest

from hintro_devtools.workspace import repo_root

ROOT = repo_root()
RESULTS = ROOT / "bench" / "results"
RUN = re.compile(r"^(?P<time>\d{8}T\d{6}Z)(?:-(?P<label>.+))?\.json$")


def committed_runs() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "bench/results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(path.rsplit("/", 1)[-1] for path in listed)


def ignored(name: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", f"bench/results/{name}"],
        cwd=ROOT,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize("name", committed_runs())
def test_every_committed_run_is_cited_and_not_ignored(name: str) -> None:
    match = RUN.match(name)
    assert match, f"{name}: not a benchmark result name"
    cited = (ROOT / "docs" / "performance.md").read_text()
    label = match["label"]
    assert name in cited or (label and f"--label {label}" in cited), f"{name} is not cited"
    assert not ignored(name), f"{name} is committed but .gitignore ignores it"


def test_other_runs_stay_ignored() -> None:
    assert committed_runs()
    assert ignored("20991231T235959Z-some-local-run.json")
    assert ignored("latest.json")
