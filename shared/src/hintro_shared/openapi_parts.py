"""The reusable parts of the OpenAPI document (``components.headers`` and
``components.responses``): the headers every answer through the gateway may carry and the
problem answers every route shares, with examples. :func:`hintro_shared.openapi.build_openapi`
refers to them by name."""

from __future__ import annotations

from typing import Any

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
                    "type": {"type": "string"},
                },
            },
        },
    },
}

GATEWAY_ERRORS = (429, 502, 503, 504)
"""What any route the gateway forwards may answer besides its own errors."""

RATE_LIMIT_HEADERS = ("RateLimit", "RateLimit-Policy")

HEADERS: dict[str, Any] = {
    "ETag": {
        "description": 'The representation\'s validator: `"<version>"` for one board, list or '
        'task written, `"<version>.<digest>"` for a board with its lists, a digest for '
        "collections. Send it back in If-None-Match (304) or If-Match (412 when stale).",
        "schema": {"type": "string"},
        "example": '"3"',
    },
    "Location": {
        "description": "The URL of the resource just created.",
        "schema": {"type": "string"},
        "example": "/api/boards/4f1c2a0b9e8d4c7fa1b2c3d4e5f60718",
    },
    "RateLimit": {
        "description": "Remaining budget of each policy charged (IETF httpapi draft): `r` "
        "requests left, `t` seconds until full.",
        "schema": {"type": "string"},
        "example": '"default";r=599;t=1',
    },
    "RateLimit-Policy": {
        "description": "The policies charged: `q` requests per `w` seconds.",
        "schema": {"type": "string"},
        "example": '"default";q=600;w=60',
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
        "example": 1,
    },
}


def header_refs(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``headers`` of a response object referring to :data:`HEADERS`."""
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def _problem_content(examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "application/problem+json": {
            "schema": PROBLEM_SCHEMA,
            "examples": {name: {"value": value} for name, value in examples.items()},
        }
    }


RESPONSES: dict[str, Any] = {
    "Problem": {
        "description": "An RFC 9457 problem",
        "content": _problem_content(
            {
                "notFound": _problem(
                    404,
                    "Not Found",
                    "The board does not exist or you do not have access to it.",
                ),
                "validation": _problem(
                    422,
                    "Unprocessable Entity",
                    "The request failed validation.",
                    errors=[
                        {
                            "loc": ["title"],
                            "msg": "String should have at least 1 character",
                            "type": "string_too_short",
                        }
                    ],
                ),
            }
        ),
    },
    "TooManyRequests": {
        "description": 'A rate limit is exhausted (docs/api.md, "Rate limits")',
        "headers": header_refs(["Retry-After", *RATE_LIMIT_HEADERS]),
        "content": _problem_content(
            {
                "tooMany": _problem(
                    429, "Too Many Requests", "Too many requests; retry in 3 seconds."
                )
            }
        ),
    },
    "BadGateway": {
        "description": "The gateway could not reach the service, or it broke the connection "
        "(safe to retry for reads; a write may or may not have happened)",
        "content": _problem_content(
            {"badGateway": _problem(502, "Bad Gateway", "The task service is unreachable.")}
        ),
    },
    "ServiceUnavailable": {
        "description": "The service's circuit is open at the gateway, or a dependency of the "
        "service is down",
        "headers": header_refs(["Retry-After"]),
        "content": _problem_content(
            {
                "unavailable": _problem(
                    503,
                    "Service Unavailable",
                    "The task service is temporarily unavailable; retry later.",
                )
            }
        ),
    },
    "GatewayTimeout": {
        "description": "The service did not answer in time (safe to retry for reads)",
        "content": _problem_content(
            {
                "timeout": _problem(
                    504, "Gateway Timeout", "The task service did not answer in time."
                )
            }
        ),
    },
}

RESPONSE_FOR_STATUS = {
    429: "TooManyRequests",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
"""Statuses with a response of their own; every other error refers to ``Problem``."""
