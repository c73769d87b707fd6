"""Routes declared once, as data, so the OpenAPI document is generated from the same pydantic
schemas the handlers validate with and a route cannot exist without its entry.

A service's ``routes.py`` lists its :class:`Operation` s in ``OPERATIONS``; ``app.py`` registers
them with :func:`add_operations`; the gateway's document is :func:`build_openapi` over every
service's list.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PATH_PARAM = re.compile(r"{(\w+)}")
_REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Operation:
    """One public route: how it is served and how it is documented."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    status: int = 200
    request: Any = None
    """Body schema (a pydantic model or any type a ``TypeAdapter`` accepts)."""
    request_optional: bool = False
    """True when the body may be left out altogether."""
    response: Any = None
    """Success body schema; ``None`` for an empty body (e.g. 204)."""
    query: type[BaseModel] | None = None
    public: bool = False
    """True when no bearer token is needed."""
    errors: tuple[int, ...] = ()
    headers: tuple[str, ...] = ()
    """Request headers the operation honours, e.g. ``If-Match``."""

    @property
    def operation_id(self) -> str:
        """A stable id derived from the handler's name."""
        return self.handler.__name__.removeprefix("handle_")


def add_operations(app: web.Application, operations: Iterable[Operation]) -> None:
    """Register every operation's handler on ``app``."""
    for op in operations:
        app.router.add_route(op.method, op.path, op.handler)


def _schema(type_: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(type_).json_schema(
        ref_template=_REF_TEMPLATE, by_alias=True
    )
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    if isinstance(type_, type) and issubclass(type_, BaseModel):
        components[type_.__name__] = schema
        return {"$ref": _REF_TEMPLATE.format(model=type_.__name__)}
    return schema


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.query is not None:
        query_schema = op.query.model_json_schema(ref_template=_REF_TEMPLATE, by_alias=True)
        for name, definition in query_schema.pop("$defs", {}).items():
            components[name] = definition
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    for header in op.headers:
        params.append(
            {"name": header, "in": "header", "required": False, "schema": {"type": "string"}}
        )
    return params


def _operation_doc(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": _schema(op.response, components)}}
    responses: dict[str, Any] = {str(op.status): success}
    problem_ref = {"$ref": "#/components/responses/Problem"}
    for status in sorted(
        {*op.errors, *((401,) if not op.public else ()), 422 if op.request else 0}
    ):
        if status:
            responses[str(status)] = problem_ref
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op, components),
        "responses": responses,
    }
    if op.request is not None:
        doc["requestBody"] = {
            "required": not op.request_optional,
            "content": {"application/json": {"schema": _schema(op.request, components)}},
        }
    doc["security"] = [] if op.public else [{"bearerAuth": []}]
    return doc


def build_openapi(
    operations: Iterable[Operation], *, title: str, version: str, description: str = ""
) -> dict[str, Any]:
    """An OpenAPI 3.1 document of ``operations`` (paths sorted so the output is stable)."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_doc(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": {name: components[name] for name in sorted(components)},
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem",
                    "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
                }
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
