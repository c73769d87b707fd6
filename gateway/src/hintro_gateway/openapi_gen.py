"""Generate the gateway's OpenAPI document from every service's declared operations.

    python -m hintro_gateway.openapi_gen          # rewrite src/hintro_gateway/openapi.json
    python -m hintro_gateway.openapi_gen --check  # exit 1 if the committed file is stale

Each service's ``routes.py`` exposes ``OPERATIONS`` (the same list its app registers), so the
document comes from the pydantic schemas the handlers validate with. A service whose package is
not installed yet is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from hintro_gateway.apidoc import GATEWAY_OPERATIONS, OPENAPI_FILE
from hintro_gateway.routing import SERVICES
from hintro_shared.openapi import Operation, build_openapi

OUTPUT = Path(__file__).with_name(OPENAPI_FILE)
DESCRIPTION = (
    "The public API of Hintro, a collaborative Kanban backend, as served by its gateway. "
    "Every route needs `Authorization: Bearer <accessToken>` except the ones marked with an "
    "empty security list (register, login, refresh, logout, the JWKS and the gateway's own "
    "routes). Every error is application/problem+json (RFC 9457). Responses carry "
    "`RateLimit-Policy` and `RateLimit` headers; 429 adds `Retry-After`. Live updates use "
    "Socket.IO v5 at `/socket.io/` (see docs/gateway.md)."
)


def routes_module(service: str) -> str:
    """The module that declares ``service``'s operations."""
    return f"hintro_{service}.routes"


def service_operations() -> dict[str, list[Operation]]:
    """``OPERATIONS`` of every service that is installed, by service name."""
    found: dict[str, list[Operation]] = {}
    for service in SERVICES:
        module_name = routes_module(service)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only "this service does not exist yet" is skipped; a broken import inside an
            # existing service is an error worth seeing.
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        operations = getattr(module, "OPERATIONS", None)
        if operations is not None:
            found[service] = list(operations)
    return found


def generate() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every public route."""
    operations = [op for ops in service_operations().values() for op in ops]
    doc = build_openapi(
        [*operations, *GATEWAY_OPERATIONS],
        title="Hintro API",
        version=metadata.version("hintro-gateway"),
        description=DESCRIPTION,
    )
    # /metrics is Prometheus text, which Operation (JSON bodies) cannot say.
    metrics = doc["paths"].get("/metrics", {}).get("get")
    if metrics is not None:
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return doc


def render(doc: dict[str, Any]) -> bytes:
    """The document as committed: indented, stable, newline-terminated."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the packaged document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    fresh = render(generate())
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_bytes() != fresh:
            print(f"{OUTPUT} is stale: run python -m hintro_gateway.openapi_gen", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_bytes(fresh)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
