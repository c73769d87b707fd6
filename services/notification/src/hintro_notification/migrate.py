"""``python -m hintro_notification.migrate up|down|status``: the notification database's
migrations."""

from __future__ import annotations

from hintro_notification.config import Settings
from hintro_notification.migrations import MIGRATIONS
from hintro_shared.migrations import main

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
