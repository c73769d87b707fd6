"""The committed API documents, generated from code: the gateway's OpenAPI document
(``gateway/src/hintro_gateway/openapi.json``), the AsyncAPI document of the client Socket.IO
protocol (``gateway/src/hintro_gateway/asyncapi.json``; both served by the gateway as files) and
the AsyncAPI document of the events between services (``docs/asyncapi.json``).

    python -m hintro_devtools openapi          # rewrite them all (make openapi)
    python -m hintro_devtools openapi --check  # exit 1 if a committed file is stale

The OpenAPI document comes from each service's ``routes.OPERATIONS`` (the same list its app
registers, so it follows the pydantic schemas the handlers validate with) plus the gateway's own
routes. It is generated here, in the dev tools, because only they may import every service: the
gateway package depends on hintro-shared alone. The Socket.IO document comes from the realtime
service's schemas (:mod:`hintro_devtools.socketapi`), the events' from the event catalogue
(:mod:`hintro_devtools.asyncapi`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from hintro_devtools import asyncapi, socketapi
from hintro_devtools.workspace import repo_root
from hintro_gateway.apidoc import ASYNCAPI_FILE, GATEWAY_OPERATIONS, OPENAPI_FILE
from hintro_gateway.routing import SERVICES
from hintro_shared.openapi import Operation, build_openapi

DESCRIPTION = (
    "The public API of Hintro, a collaborative Kanban backend, as served by its gateway. "
    "Every route needs `Authorization: Bearer <accessToken>` except the ones marked with an "
    "empty security list (register, login, refresh, logout, the JWKS and the gateway's own "
    "routes). Every error is application/problem+json (RFC 9457). Responses carry "
    "`RateLimit-Policy` and `RateLimit` headers; 429 adds `Retry-After`. Live updates use "
    "Socket.IO v5 at `/socket.io/` (see docs/gateway.md)."
)


SERVERS = [{"url": "http://127.0.0.1:8080", "description": "The gateway under `make run`"}]


def routes_module(service: str) -> str:
    """The module that declares ``service``'s operations."""
    return f"hintro_{service}.routes"


def service_operations() -> dict[str, list[Operation]]:
    """``OPERATIONS`` of every service the gateway routes to, by service name. A service that
    cannot be imported is an error: a document silently missing a service would be wrong."""
    return {
        service: list(importlib.import_module(routes_module(service)).OPERATIONS)
        for service in SERVICES
    }


def generate_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every public route."""
    operations = [op for ops in service_operations().values() for op in ops]
    doc = build_openapi(
        operations,
        local=GATEWAY_OPERATIONS,
        title="Hintro API",
        version=metadata.version("hintro-gateway"),
        description=DESCRIPTION,
        servers=SERVERS,
    )
    # /metrics is Prometheus text, which Operation (JSON bodies) cannot say.
    metrics = doc["paths"].get("/metrics", {}).get("get")
    if metrics is not None:
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return doc


def generate_socket_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the client Socket.IO protocol."""
    return socketapi.build_socket_asyncapi(version=metadata.version("hintro-gateway"))


def render(doc: dict[str, Any]) -> bytes:
    """The document as committed: indented, stable, newline-terminated."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


@dataclass(frozen=True)
class Document:
    """A generated document and where it is committed."""

    path: Path
    content: bytes


def documents(root: Path | None = None) -> list[Document]:
    """Every generated document, rendered, with its committed path."""
    root = root or repo_root()
    return [
        Document(
            root / "gateway" / "src" / "hintro_gateway" / OPENAPI_FILE,
            render(generate_openapi()),
        ),
        Document(
            root / "gateway" / "src" / "hintro_gateway" / ASYNCAPI_FILE,
            render(generate_socket_asyncapi()),
        ),
        Document(root / "docs" / "asyncapi.json", asyncapi.render()),
    ]


def stale(root: Path | None = None) -> list[Path]:
    """The committed documents that differ from what the code generates now."""
    return [
        doc.path
        for doc in documents(root)
        if not doc.path.exists() or doc.path.read_bytes() != doc.content
    ]


def openapi_main(argv: list[str]) -> int:
    """``python -m hintro_devtools openapi [--check]`` (``make openapi``)."""
    parser = argparse.ArgumentParser(
        prog="python -m hintro_devtools openapi",
        description="Regenerate the committed OpenAPI and AsyncAPI documents.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale()
        for path in outdated:
            print(f"{path} is stale: run `make openapi`", file=sys.stderr)
        return 1 if outdated else 0
    for doc in documents():
        doc.path.parent.mkdir(parents=True, exist_ok=True)
        doc.path.write_bytes(doc.content)
        print(f"wrote {doc.path}")
    return 0
