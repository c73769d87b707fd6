"""``python -m hintro_auth.migrate up|down|status``: the auth database's migrations."""

from __future__ import annotations

from hintro_auth.config import AuthSettings
from hintro_auth.migrations import MIGRATIONS
from hintro_shared.migrations import main

if __name__ == "__main__":
    main(AuthSettings, MIGRATIONS)
