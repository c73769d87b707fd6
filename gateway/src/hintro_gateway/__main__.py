"""``python -m hintro_gateway``: run the gateway with settings from the environment."""

from __future__ import annotations

from hintro_gateway.app import create_app
from hintro_gateway.config import GatewaySettings
from hintro_shared.http import run_service


def main() -> None:
    """Build the settings and serve until SIGTERM."""
    settings = GatewaySettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
