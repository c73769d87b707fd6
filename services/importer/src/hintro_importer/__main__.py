"""``python -m hintro_importer``: run the importer service with settings from the environment."""

from __future__ import annotations

from hintro_importer.app import create_app
from hintro_importer.config import Settings
from hintro_shared.http import run_service


def main() -> None:
    """Build the settings and serve until SIGTERM."""
    settings = Settings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
