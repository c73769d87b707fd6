"""``python -m hintro_importer.migrate up|down|status``: the importer database's migrations."""

from __future__ import annotations

from hintro_importer.config import Settings
from hintro_importer.migrations import MIGRATIONS
from hintro_shared.migrations import main

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
