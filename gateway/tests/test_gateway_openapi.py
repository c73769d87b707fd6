"""The OpenAPI document: generated from the services' declared operations, committed, complete,
and in step with the gateway's routing table."""

from __future__ import annotations

import gzip
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gateway.tests.conftest import Harness
from hintro_devtools.apidocs import (
    documents,
    render,
    service_operations,
    stale,
)
from hintro_devtools.workspace import repo_root
from hintro_gateway.apidoc import GATEWAY_OPERATIONS
from hintro_gateway.routing import ROUTES, resolve
from hintro_shared.config import ServiceSettings
from hintro_shared.internal import INTERNAL_PREFIX

ROOT = repo_root()
OUTPUT = ROOT / "gateway" / "src" / "hintro_gateway" / "openapi.json"
OPERATIONAL = {"/healthz", "/readyz", "/metrics"}


def _committed() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(OUTPUT.read_bytes())
    return doc


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def _service_app(service: str) -> web.Application:
    """The service's app, built (not started) with its own settings class."""
    app_module = importlib.import_module(f"hintro_{service}.app")
    config = importlib.import_module(f"hintro_{service}.config")
    settings_classes = [
        obj
        for obj in vars(config).values()
        if inspect.isclass(obj) and issubclass(obj, ServiceSettings) and obj is not ServiceSettings
    ]
    app: web.Application = app_module.create_app(settings_classes[0](environment="test"))
    return app


def test_committed_documents_are_fresh() -> None:
    # Regenerates the OpenAPI and AsyncAPI documents and compares them with the committed files.
    assert stale() == [], "run `make openapi`"


def test_a_stale_document_is_reported(tmp_path: Path) -> None:
    for doc in documents():
        relative = doc.path.relative_to(ROOT)
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(doc.content)
    assert stale(tmp_path) == []
    openapi = tmp_path / "gateway" / "src" / "hintro_gateway" / "openapi.json"
    openapi.write_bytes(render({**_committed(), "openapi": "3.0.0"}))
    assert stale(tmp_path) == [openapi]


def test_document_is_openapi_3_1_with_the_gateway_routes() -> None:
    doc = _committed()
    assert doc["openapi"] == "3.1.0"
    for op in GATEWAY_OPERATIONS:
        assert (op.method, op.path) in _documented(doc)
    assert doc["paths"]["/api/openapi.json"]["get"]["security"] == []


@pytest.mark.parametrize("service", sorted(service_operations()))
def test_every_route_a_service_serves_is_documented(service: str) -> None:
    documented = _documented(_committed())
    app = _service_app(service)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method not in ("HEAD", "*")
    }
    served = {
        (method, path)
        for method, path in served
        if path not in OPERATIONAL
        and not path.startswith("/socket.io")
        and not path.startswith(INTERNAL_PREFIX)
    }
    # Realtime serves only Socket.IO (docs/api.md, "Realtime (Socket.IO)"), so it declares
    # nothing.
    assert served or not service_operations()[service], f"{service} serves no routes?"
    assert served <= documented, served - documented


def test_internal_routes_are_never_routed_by_the_gateway() -> None:
    # Service-to-service routes (hintro_shared.internal) are neither public API nor reachable
    # through the gateway: the routing table has none, and no path resolves to one.
    assert not [route for route in ROUTES if route.pattern.startswith(INTERNAL_PREFIX)]
    for method in ("GET", "POST"):
        assert resolve(method, "/internal/board-states") is None


def test_every_documented_route_is_routed_to_its_service() -> None:
    for service, operations in service_operations().items():
        for op in operations:
            route = resolve(op.method, op.path)
            assert route is not None, f"{op.method} {op.path} is not in the routing table"
            assert route.service == service, (op.path, route.service)
            # The gateway's idea of public must match the service's, or clients get a 401
            # from one and not the other.
            assert route.public == op.public, (op.method, op.path)


def test_every_routed_path_of_an_existing_service_is_documented() -> None:
    documented = _documented(_committed())
    installed = set(service_operations())
    for route in ROUTES:
        if route.service in installed:
            assert (route.method, route.pattern) in documented, route


@pytest.mark.integration
async def test_gateway_serves_the_document(gw: Harness) -> None:
    plain = await gw.client.get("/api/openapi.json", headers={"Accept-Encoding": "identity"})
    assert plain.status == 200
    assert plain.content_type == "application/json"
    assert await plain.json() == _committed()
    zipped = await gw.client.get(
        "/api/openapi.json", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(await zipped.read())) == _committed()


def test_every_forwarded_route_documents_the_gateway_answers_and_headers() -> None:
    doc = _committed()
    assert doc["servers"]
    assert doc["servers"][0]["url"].startswith("http")
    assert set(doc["components"]["headers"]) >= {
        "ETag",
        "Location",
        "RateLimit",
        "RateLimit-Policy",
        "Retry-After",
    }
    too_many = doc["components"]["responses"]["TooManyRequests"]
    assert set(too_many["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
    for service, operations in service_operations().items():
        for op in operations:
            responses = doc["paths"][op.path][op.method.lower()]["responses"]
            for status in ("422", "429", "502", "503", "504"):
                assert status in responses, (service, op.method, op.path, status)
            assert responses["503"] == {"$ref": "#/components/responses/ServiceUnavailable"}
            success = responses[str(op.status)]
            assert set(success["headers"]) >= {"RateLimit", "RateLimit-Policy"}
    board = doc["paths"]["/api/boards/{boardId}"]["get"]["responses"]
    assert "ETag" in board["200"]["headers"]
    assert "304" in board
    created = doc["paths"]["/api/boards"]["post"]
    assert {"ETag", "Location"} <= set(created["responses"]["201"]["headers"])
    assert created["requestBody"]["content"]["application/json"]["examples"]
    problem = doc["components"]["responses"]["Problem"]["content"]["application/problem+json"]
    assert problem["examples"]
