"""Versions and validators over HTTP: ``ETag`` carries a resource's version (or a digest of a
body that has no single version), ``If-Match`` makes a write conditional on the version (412
when stale), and ``If-None-Match`` lets a read answer ``304 Not Modified``."""

from __future__ import annotations

import hashlib
import re

from aiohttp import web

from hintro_shared.problems import Problem, refusal_problem
from hintro_shared.refusals import PreconditionFailed

# ASCII digits only (str.isdigit also accepts "²", which int() refuses), and few enough that the
# number fits the 64-bit integers MongoDB stores versions as.
_VERSION = re.compile(r"[0-9]{1,18}")


def etag(version: int) -> str:
    """The strong ETag for a version number."""
    return f'"{version}"'


def content_digest(body: bytes) -> str:
    """A short digest of ``body`` (16 hex characters) for ETags that follow the bytes."""
    return hashlib.blake2b(body, digest_size=8).hexdigest()


def content_etag(body: bytes) -> str:
    """The strong ETag of a body that has no version of its own (a page, a collection)."""
    return f'"{content_digest(body)}"'


def expected_version(request: web.Request) -> int | None:
    """The version ``If-Match`` asks for, ``None`` when absent or ``*``; 412 if unparseable.

    A board's ``"<version>.<digest>"`` ETag counts as its version."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"').partition(".")[0]
    if not _VERSION.fullmatch(value):
        raise stale_version()
    return int(value)


def stale_version() -> Problem:
    """412: the client's copy is out of date."""
    return refusal_problem(PreconditionFailed())


def not_modified_since(request: web.Request, current: str) -> bool:
    """Whether ``If-None-Match`` names ``current`` (or is ``*``): the client's copy is current.
    Compared weakly (RFC 9110 §13.1.2), so a ``W/`` a cache added does not defeat it."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    wanted = current.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(current: str, headers: dict[str, str] | None = None) -> web.Response:
    """``304 Not Modified`` with the current ``ETag`` (and ``headers``, e.g. ``Vary``)."""
    return web.Response(status=304, headers={**(headers or {}), "ETag": current})
