"""The board read cache: the member-independent board body (what every member sees) per board,
in the shared generation-keyed Redis cache (:mod:`hintro_shared.readcache`: race-free
invalidation, optional Redis, ``BOARD_CACHE_TTL_SECONDS`` bounding what a lost invalidation can
leave behind).

The cached value is the body preceded by a small header line with the roles, the version and
the ETag, so a hit checks membership without parsing the body and answers with the stored
bytes as they are. The ETag is ``"<version>.<digest of the body>"``: it changes whenever any
byte of the body does (a list created, renamed, moved or deleted changes the body, not the
board's version), and ``If-Match`` still reads the version in front of the dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hintro_shared import jsonutil
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


Lookup = _Lookup[CachedBoard]


def board_etag(version: int, body: bytes) -> str:
    """The ETag of ``GET /api/boards/{boardId}``: version and digest of the body."""
    return f'"{version}.{content_digest(body)}"'


def encode_entry(roles: dict[str, str], version: int, body: bytes) -> bytes:
    """Header line (roles, version, ETag) + newline + body; the body is compact JSON, so it
    never contains a raw newline. The ETag is computed here, once per stored body."""
    header = {"roles": roles, "version": version, "etag": board_etag(version, body)}
    return jsonutil.dumps_bytes(header) + b"\n" + body


def decode_entry(value: bytes) -> CachedBoard:
    """Inverse of :func:`encode_entry`."""
    header, _, body = value.partition(b"\n")
    meta: dict[str, Any] = jsonutil.loads(header)
    return CachedBoard(
        roles=meta["roles"], version=int(meta["version"]), etag=str(meta["etag"]), body=body
    )


class BoardCache(ReadCache[CachedBoard]):
    """Board bodies by board id (``BOARD_CACHE_*`` settings)."""

    name = "board cache"

    def decode(self, value: bytes) -> CachedBoard:
        return decode_entry(value)
