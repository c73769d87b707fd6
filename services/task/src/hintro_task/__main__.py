"""``python -m hintro_task``: run the task service."""

from __future__ import annotations

from hintro_shared.http import run_service
from hintro_task.app import create_app
from hintro_task.config import Settings


def main() -> None:
    """Read settings from the environment and serve until SIGTERM."""
    settings = Settings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
