"""``python -m hintro_task.migrate up|down|status``: the task database's migrations."""

from __future__ import annotations

from hintro_shared.migrations import main
from hintro_task.config import Settings
from hintro_task.migrations import MIGRATIONS

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
