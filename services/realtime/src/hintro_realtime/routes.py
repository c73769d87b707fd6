"""The realtime service's HTTP surface: none of its own. It serves the shared operational
routes (``/healthz``, ``/readyz``, ``/metrics``, from ``create_base_app``) and Socket.IO at
``/socket.io/`` (``sockets.py``), which the gateway proxies; no REST operation to declare."""

from __future__ import annotations

from hintro_shared.openapi import Operation

OPERATIONS: tuple[Operation, ...] = ()
