"""Board labels' fixed palette, and the ids of labels made from the free-text labels tasks had.

A label's colour is a palette name (``"green"``), never a free hex: every client shows the same
colour, and each colour comes with the text colour that keeps 4.5:1 contrast on it (WCAG AA
for small text; ``shared/tests/test_labels.py`` and the web app's test check every pair).
"""

from __future__ import annotations

import hashlib
from typing import Literal

# name -> (background, text). Trello's ten label colours, each lit enough to carry black text,
# except "black", which carries white.
LABEL_COLORS: dict[str, tuple[str, str]] = {
    "green": ("#4BCE97", "#000000"),
    "yellow": ("#F5CD47", "#000000"),
    "orange": ("#FEA362", "#000000"),
    "red": ("#F87168", "#000000"),
    "purple": ("#9F8FEF", "#000000"),
    "blue": ("#579DFF", "#000000"),
    "sky": ("#6CC3E0", "#000000"),
    "lime": ("#94C748", "#000000"),
    "pink": ("#E774BB", "#000000"),
    "black": ("#44546F", "#FFFFFF"),
}

LabelColor = Literal[
    "green", "yellow", "orange", "red", "purple", "blue", "sky", "lime", "pink", "black"
]
"""The palette's names, for schemas (kept equal to :data:`LABEL_COLORS` by a test)."""

LABEL_NAME_MAX = 50
LABELS_PER_BOARD_MAX = 100
LABELS_PER_TASK_MAX = 20


def imported_label_id(board_id: str, name: str) -> str:
    """The id of the board label a free-text task label ``name`` becomes (the task database's
    migration 2). Derived, not random, so that every task of a board naming the same text gets
    the same label and the board service, told the labels, creates each once however often the
    import is replayed."""
    digest = hashlib.sha256(f"{board_id}\n{name}".encode()).hexdigest()
    return digest[:32]


def imported_label_color(name: str) -> str:
    """The colour an imported label gets: stable per name, spread over the palette."""
    digest = hashlib.sha256(name.encode()).digest()
    names = list(LABEL_COLORS)
    return names[int.from_bytes(digest[:4], "big") % len(names)]
