"""``python -m hintro_webhook.migrate up|down|status``: the webhook database's migrations."""

from __future__ import annotations

from hintro_shared.migrations import main
from hintro_webhook.config import Settings
from hintro_webhook.migrations import MIGRATIONS

if __name__ == "__main__":
    main(Settings, MIGRATIONS)
