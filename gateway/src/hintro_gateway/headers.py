"""Which headers cross the gateway, both ways, and when a response is worth gzipping.

Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message, so they are
dropped in both directions together with any header the ``Connection`` header names. Headers
that carry identity (``X-User-Id``, ``X-Origin-Trusted``, ``X-Client-Address``), tracing
(``X-Request-Id``, ``X-Forwarded-*``) or the caller's deadline (``X-Timeout-Ms``) are always
set by the gateway, never taken from the client.
"""

from __future__ import annotations

from multidict import CIMultiDict, CIMultiDictProxy

from hintro_shared.http import (
    CLIENT_ADDRESS_HEADER,
    ORIGIN_TRUSTED_HEADER,
    REQUEST_ID_HEADER,
    USER_ID_HEADER,
    accepts_gzip,
)
from hintro_shared.overload import TIMEOUT_HEADER

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the gateway itself (or by aiohttp for the new connection), never copied from the client.
_REQUEST_REPLACED = frozenset(
    {
        "host",
        "content-length",
        "accept-encoding",
        "expect",
        USER_ID_HEADER.lower(),
        REQUEST_ID_HEADER.lower(),
        ORIGIN_TRUSTED_HEADER.lower(),
        TIMEOUT_HEADER.lower(),
        CLIENT_ADDRESS_HEADER.lower(),
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
    }
)
# aiohttp writes its own framing and these for the client connection.
_RESPONSE_REPLACED = frozenset({"content-length", "server", "date"})

_WEBSOCKET_HANDSHAKE = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"}
)

# The fixed parts of each drop set, built once rather than per request.
_REQUEST_DROP = HOP_BY_HOP | _REQUEST_REPLACED
# aiohttp's websocket client writes its own handshake.
_WEBSOCKET_REQUEST_DROP = _REQUEST_DROP | _WEBSOCKET_HANDSHAKE | {"sec-websocket-protocol"}
_RESPONSE_DROP = HOP_BY_HOP | _RESPONSE_REPLACED


def _connection_listed(headers: CIMultiDictProxy[str]) -> set[str]:
    listed: set[str] = set()
    for value in headers.getall("Connection", []):
        listed.update(token.strip().lower() for token in value.split(",") if token.strip())
    return listed


def upstream_request_headers(
    incoming: CIMultiDictProxy[str],
    *,
    user_id: str | None,
    request_id: str,
    forwarded_for: str,
    proto: str,
    host: str | None,
    content_length: int | None,
    websocket: bool = False,
    origin_trusted: bool = False,
    client_address: str | None = None,
) -> CIMultiDict[str]:
    """The headers sent to a service for one client request. ``Cookie`` passes through (auth's
    refresh cookie), as ``Set-Cookie`` does on the way back."""
    accept_encoding = ", ".join(incoming.getall("Accept-Encoding", []))
    drop = (_WEBSOCKET_REQUEST_DROP if websocket else _REQUEST_DROP) | _connection_listed(incoming)
    headers: CIMultiDict[str] = CIMultiDict(
        (name, value) for name, value in incoming.items() if name.lower() not in drop
    )
    if user_id is not None:
        headers[USER_ID_HEADER] = user_id
    headers[REQUEST_ID_HEADER] = request_id
    headers["X-Forwarded-For"] = forwarded_for
    headers["X-Forwarded-Proto"] = proto
    if host:
        headers["X-Forwarded-Host"] = host
    if origin_trusted:
        headers[ORIGIN_TRUSTED_HEADER] = "1"
    if client_address:
        headers[CLIENT_ADDRESS_HEADER] = client_address
    # The gateway compresses for the client; a service sends gzip only where it keeps a body
    # compressed already (a board's tasks), and the gateway passes such a body through.
    headers["Accept-Encoding"] = "gzip" if accepts_gzip(accept_encoding) else "identity"
    if content_length is not None:
        headers["Content-Length"] = str(content_length)
    return headers


def trusted_origin(
    origin: str | None, *, proto: str, host: str | None, allowed: frozenset[str]
) -> bool:
    """Whether a browser request's ``Origin`` is the gateway's own (``proto://host``) or one
    of the explicitly allowed origins (``CORS_ORIGINS``; ``*`` never counts). A request
    without ``Origin`` is not trusted."""
    if not origin:
        return False
    origin = origin.rstrip("/")
    return origin in allowed or (bool(host) and origin == f"{proto}://{host}")


def client_response_headers(upstream: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    """The headers of a service's response that reach the client."""
    drop = _RESPONSE_DROP | _connection_listed(upstream)
    return CIMultiDict(
        (name, value) for name, value in upstream.items() if name.lower() not in drop
    )


def is_json(content_type: str) -> bool:
    """``application/json``, ``application/problem+json`` and other ``+json`` types."""
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/json":
        return True
    return media.startswith("application/") and media.endswith("+json")


def should_gzip(
    *,
    accept_encoding: str,
    content_type: str,
    content_encoding: str | None,
    size: int | None,
    min_bytes: int,
) -> bool:
    """Compress a JSON body over ``min_bytes`` (or of unknown size) for a client that accepts
    gzip, unless it is already encoded."""
    if content_encoding or not is_json(content_type):
        return False
    if size is not None and size <= min_bytes:
        return False
    return accepts_gzip(accept_encoding)
