"""Every task of a board, as one gzip-compressed body, in the shared generation-keyed Redis
cache (:mod:`hintro_shared.readcache`: race-free invalidation, optional Redis).

``GET /api/boards/{boardId}/tasks?all=true`` is the one read a client makes for a board's cards;
a board of 5,000 tasks is about 2 MB of JSON, so the body is compressed once, when it is
stored, and served as those bytes to every client that accepts gzip (the gateway passes an
encoded body through untouched). The stored value is a header line with the ETag (a digest of
the uncompressed body) + newline + the gzip bytes.

What invalidates a board's entry: every task write (create, edit, move, assign, delete, after
its database write and before the answer) and every ``list.*`` and ``board.deleted`` event the
projection takes in (list order and the cascades change the body too).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Any

from hintro_shared import jsonutil
from hintro_shared.http import gzip_once
from hintro_shared.readcache import ReadCache
from hintro_shared.versioning import content_etag


@dataclass(frozen=True, slots=True)
class BoardTasks:
    """A board's task collection as served: its ETag and its gzip-compressed JSON body."""

    etag: str
    gzipped: bytes

    def plain(self) -> bytes:
        """The uncompressed body, for a client that does not accept gzip."""
        return gzip.decompress(self.gzipped)

    @classmethod
    def of(cls, body: bytes) -> BoardTasks:
        """Compress ``body`` (once) and digest it."""
        return cls(content_etag(body), gzip_once(body))


def encode_entry(tasks: BoardTasks) -> bytes:
    """Header line (ETag) + newline + gzip bytes (which may hold newlines: only the first
    newline separates)."""
    return jsonutil.dumps_bytes({"etag": tasks.etag}) + b"\n" + tasks.gzipped


def decode_entry(value: bytes) -> BoardTasks:
    """Inverse of :func:`encode_entry`."""
    header, _, gzipped = value.partition(b"\n")
    meta: dict[str, Any] = jsonutil.loads(header)
    return BoardTasks(etag=str(meta["etag"]), gzipped=gzipped)


class TasksCache(ReadCache[BoardTasks]):
    """Board task collections by board id (``TASKS_CACHE_*`` settings)."""

    name = "tasks cache"

    def decode(self, value: bytes) -> BoardTasks:
        return decode_entry(value)
