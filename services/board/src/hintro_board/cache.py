"""The board read cache: the member-independent board body (what every member sees) per board,
in the shared generation-keyed Redis cache (:mod:`hintro_shared.readcache`: race-free
invalidation, optional Redis, ``BOARD_CACHE_TTL_SECONDS`` bounding what a lost invalidation can
leave behind).

The cached value is a small header line with the roles, the version, the ETag and the body's
length, then the JSON body, then the same body gzip-compressed (once, when it is stored): a hit
checks membership without parsing anything and answers with stored bytes as they are, the gzip
ones for a client that accepts gzip (the gateway passes an encoded body through untouched, so
nobody compresses per request). The ETag is ``"<version>.<digest of the body>"``: it changes
whenever any byte of the body does (a list created, renamed, moved or deleted changes the body,
not the board's version), and ``If-Match`` still reads the version in front of the dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from hintro_shared import jsonutil
from hintro_shared.http import gzip_once
from hintro_shared.readcache import Lookup as _Lookup
from hintro_shared.readcache import ReadCache
from hintro_shared.versioning import content_digest


@dataclass(frozen=True, slots=True)
class CachedBoard:
    """A cache hit: the caller-independent facts and the JSON body bytes."""

    roles: dict[str, str]
    version: int
    etag: str
    body: bytes
    gzipped: bytes


Lookup = _Lookup[CachedBoard]


def board_etag(version: int, body: bytes) -> str:
    """The ETag of ``GET /api/boards/{boardId}``: version and digest of the body."""
    return f'"{version}.{content_digest(body)}"'


def encode_entry(
    roles: dict[str, str], version: int, body: bytes, gzipped: bytes | None = None
) -> bytes:
    """Header line (roles, version, ETag, body length) + newline + body + its gzip bytes
    (``gzipped``: already compressed, else compressed here). The header is compact JSON, so
    only its end is a raw newline. The ETag is computed here, once per stored body."""
    header = {
        "roles": roles,
        "version": version,
        "etag": board_etag(version, body),
        "size": len(body),
    }
    packed = gzip_once(body) if gzipped is None else gzipped
    return jsonutil.dumps_bytes(header) + b"\n" + body + packed


def decode_entry(value: bytes) -> CachedBoard:
    """Inverse of :func:`encode_entry`."""
    header, _, rest = value.partition(b"\n")
    meta: dict[str, Any] = jsonutil.loads(header)
    size = int(meta["size"])
    if not 0 <= size < len(rest):
        raise ValueError("the entry is shorter than its header says")
    return CachedBoard(
        roles=meta["roles"],
        version=int(meta["version"]),
        etag=str(meta["etag"]),
        body=rest[:size],
        gzipped=rest[size:],
    )


class BoardCache(ReadCache[CachedBoard]):
    """Board bodies by board id (``BOARD_CACHE_*`` settings)."""

    name = "board cache"
    # Entries of the format before the gzip copy was added are never read as this one.
    entry_kind: ClassVar[str] = "board+gz"

    def decode(self, value: bytes) -> CachedBoard:
        return decode_entry(value)
