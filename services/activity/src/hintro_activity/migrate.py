"""``python -m hintro_activity.migrate up|down|status``: the activity database's migrations."""

from __future__ import annotations

from hintro_activity.config import Settings
from hintro_activity.migrations import MIGRATIONS
from hintro_shared.migrations import main

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
