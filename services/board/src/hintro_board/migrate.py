"""``python -m hintro_board.migrate up|down|status``: the board database's migrations."""

from __future__ import annotations

from hintro_board.config import Settings
from hintro_board.migrations import MIGRATIONS
from hintro_shared.migrations import main

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
