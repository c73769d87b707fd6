"""``python -m hintro_auth``: the auth service with settings from the environment."""

from __future__ import annotations

import logging
import sys

from hintro_auth.app import create_app
from hintro_auth.config import AuthSettings
from hintro_auth.keys import KeyConfigError
from hintro_shared.http import run_service


def main() -> None:
    """Build the settings and the app, then serve until SIGTERM; exit 2 on unusable keys."""
    settings = AuthSettings()
    try:
        run_service(create_app(settings), settings)
    except KeyConfigError as exc:
        logging.getLogger("hintro_auth").critical("refusing to start: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
