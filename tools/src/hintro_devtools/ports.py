"""Picking a loopback port, for the supervisor (services started beside ``make run``), the
embedded MongoDB and the tests alike; it lives in the dev tools so no production package has to
carry it."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port that was free a moment ago on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
