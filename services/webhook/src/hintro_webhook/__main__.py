"""``python -m hintro_webhook``: run the webhook service with settings from the
environment."""

from __future__ import annotations

from hintro_shared.http import run_service
from hintro_webhook.app import create_app
from hintro_webhook.config import Settings


def main() -> None:
    """Build the settings and serve until SIGTERM."""
    settings = Settings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
