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

from hintro_shared.openapi_parts import (
    GATEWAY_ERRORS,
    HEADERS,
    RATE_LIMIT_HEADERS,
    RESPONSE_FOR_STATUS,
    RESPONSES,
    header_refs,
)
from hintro_shared.problems import Problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PATH_PARAM = re.compile(r"{(\w+)}")
_REF_TEMPLATE = "#/components/schemas/{model}"


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
    """Request headers the operation honours, e.g. ``If-Match``; ``If-None-Match`` documents a
    ``304`` answer."""
    response_headers: tuple[str, ...] = ()
    """Headers of the success answer, e.g. ``ETag``, ``Location`` (documented in
    :data:`hintro_shared.openapi_parts.HEADERS`)."""
    examples: tuple[Any, ...] = ()
    """Example request bodies (documented under the request body)."""

    @property
    def operation_id(self) -> str:
        """A stable id derived from the handler's name."""
        return self.handler.__name__.removeprefix("handle_")


def query_names(query: type[BaseModel] | None) -> frozenset[str]:
    """The query parameters a route takes: its query model's fields by their public names."""
    if query is None:
        return frozenset()
    return frozenset(field.alias or name for name, field in query.model_fields.items())


def refuse_unknown_query(handler: Handler, allowed: frozenset[str]) -> Handler:
    """``handler`` behind a check that every query parameter is one the route takes: any
    other is ``422`` as pydantic words it (``extra_forbidden``), before the handler runs, on
    every route alike (a typo such as ``?limt=`` must not be silently ignored)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        unknown = sorted({name for name in request.query if name not in allowed})
        if unknown:
            raise Problem(
                422,
                "The request failed validation.",
                errors=[
                    {"loc": [name], "msg": "Extra inputs are not permitted",
                     "type": "extra_forbidden"}
                    for name in unknown
                ],
            )  # fmt: skip
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def add_operations(app: web.Application, operations: Iterable[Operation]) -> None:
    """Register every operation's handler on ``app``, refusing unknown query parameters."""
    for op in operations:
        app.router.add_route(
            op.method, op.path, refuse_unknown_query(op.handler, query_names(op.query))
        )


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


def _takes_given_id(op: Operation) -> bool:
    """A create whose body may name the new thing's ``id`` (docs/api.md, "Given ids")."""
    body = op.request
    return (
        op.status == 201
        and isinstance(body, type)
        and issubclass(body, BaseModel)
        and "id" in body.model_fields
    )


def _operation_doc(op: Operation, components: dict[str, Any], *, proxied: bool) -> dict[str, Any]:
    """One operation. ``proxied``: forwarded by the gateway, so it may also answer 429 and the
    gateway's upstream failures. Every ``/api`` route is rate-limited (its answers carry the
    RateLimit headers) and refuses unknown query parameters (422)."""
    api = op.path.startswith("/api/")
    success: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    headers = [*op.response_headers, *(RATE_LIMIT_HEADERS if api else ())]
    if headers:
        success["headers"] = header_refs(headers)
    if op.response is not None:
        success["content"] = {"application/json": {"schema": _schema(op.response, components)}}
    responses: dict[str, Any] = {str(op.status): success}
    if _takes_given_id(op):
        responses["200"] = {
            **success,
            "description": "OK: the body's `id` names one that exists already (create-if-absent); "
            "it is answered as it is now and nothing is written",
        }
    if "If-None-Match" in op.headers:
        responses["304"] = {
            "description": "Not Modified: If-None-Match names the current ETag (no body)",
            "headers": header_refs(["ETag", *RATE_LIMIT_HEADERS]),
        }
    statuses = {
        *op.errors,
        *((401,) if not op.public else ()),
        *((422,) if op.request or api else ()),
        *(GATEWAY_ERRORS if proxied else ()),
    }
    for status in sorted(statuses):
        name = RESPONSE_FOR_STATUS.get(status, "Problem")
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op, components),
        "responses": responses,
    }
    if op.request is not None:
        body: dict[str, Any] = {"schema": _schema(op.request, components)}
        if op.examples:
            body["examples"] = {
                f"example{index}": {"value": example}
                for index, example in enumerate(op.examples, start=1)
            }
        doc["requestBody"] = {
            "required": not op.request_optional,
            "content": {"application/json": body},
        }
    doc["security"] = [] if op.public else [{"bearerAuth": []}]
    return doc


def build_openapi(
    operations: Iterable[Operation],
    *,
    title: str,
    version: str,
    description: str = "",
    local: Iterable[Operation] = (),
    servers: Iterable[dict[str, str]] = (),
) -> dict[str, Any]:
    """An OpenAPI 3.1 document of ``operations`` (the services' routes, which the gateway
    forwards) and ``local`` (the gateway's own), paths sorted so the output is stable."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for proxied, ops in ((True, operations), (False, local)):
        for op in ops:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation_doc(
                op, components, proxied=proxied
            )
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": list(servers),
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": {name: components[name] for name in sorted(components)},
            "responses": RESPONSES,
            "headers": HEADERS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
