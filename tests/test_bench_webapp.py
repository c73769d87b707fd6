"""The web benchmark's first-load figure, read from a build the way Vite writes one."""

from __future__ import annotations

import gzip
from pathlib import Path

from bench.webapp import first_load, table

INDEX = """<!doctype html><html><head>
<script type="module" crossorigin src="/assets/index-a1.js"></script>
<link rel="modulepreload" crossorigin href="/assets/react-b2.js">
<link rel="modulepreload" crossorigin href="/assets/react-b2.js">
<link rel="stylesheet" crossorigin href="/assets/index-c3.css">
<link rel="icon" href="/favicon.svg">
</head><body><div id="root"></div></body></html>"""


def test_first_load_counts_the_entry_and_its_preloads_once_gzipped(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    entry = b"import './react-b2.js';" * 300
    react = b"export const React = 1;" * 900
    (assets / "index-a1.js").write_bytes(entry)
    (assets / "index-a1.js.gz").write_bytes(gzip.compress(entry))
    (assets / "index-a1.js.br").write_bytes(b"x" * 17)
    (assets / "react-b2.js").write_bytes(react)  # no sibling: gzipped by the benchmark
    (assets / "index-c3.css").write_bytes(b"body{margin:0}")
    # A lazy chunk index.html does not name is not part of the first load.
    (assets / "dialog-d4.js").write_bytes(b"x" * 100_000)

    figures = first_load(tmp_path)

    assert set(figures["js_files"]) == {"/assets/index-a1.js", "/assets/react-b2.js"}
    expected_gzip = len(gzip.compress(entry)) + len(gzip.compress(react, 9))
    assert figures["js_gzip_bytes"] == expected_gzip
    assert figures["js_raw_bytes"] == len(entry) + len(react)
    assert figures["js_brotli_bytes"] == 17
    assert set(figures["css_files"]) == {"/assets/index-c3.css"}
    assert figures["js_within_budget"] is True
    assert "first-load JS, gzip" in table({"first_load": figures})
